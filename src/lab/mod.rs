//! PLACEHOLDER until the lab branch merges.
#[derive(clap::Subcommand, Debug)]
pub enum LabCommand {
    Status,
}
pub fn run(_c: LabCommand) -> anyhow::Result<i32> {
    Ok(0)
}
