use clap::Parser;

/// imapconform: finds where IMAP servers break the protocol.
#[derive(Parser)]
#[command(name = "imapconform", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Install, start, stop and reset the local server lab (Dovecot, Cyrus, Courier,
    /// Mailutils on 127.0.0.1).
    #[command(subcommand)]
    Lab(imapconform::lab::LabCommand),
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Lab(cmd) => imapconform::lab::run(cmd),
    };
    match result {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::exit(2);
        }
    }
}
