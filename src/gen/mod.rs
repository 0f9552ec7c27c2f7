//! PLACEHOLDER until the gen branch merges: the agreed interface only.
use crate::wire::Message;
#[derive(Clone, Debug)]
pub struct GenConfig {
    pub min_commands: usize,
    pub max_commands: usize,
    pub mailbox_prefix: String,
}
impl Default for GenConfig {
    fn default() -> Self {
        GenConfig {
            min_commands: 5,
            max_commands: 25,
            mailbox_prefix: "INBOX.".into(),
        }
    }
}
#[derive(Clone, Debug)]
pub struct Script {
    pub seed: u64,
    pub index: u64,
    pub commands: Vec<Command>,
}
#[derive(Clone, Debug)]
pub struct Command {
    pub name: String,
    pub message: Message,
}
pub fn generate(seed: u64, index: u64, _cfg: &GenConfig) -> Script {
    let commands = vec![
        Command {
            name: "NOOP".into(),
            message: Message::line("a1 NOOP"),
        },
        Command {
            name: "CREATE".into(),
            message: Message::line(format!("a2 CREATE INBOX.m{}", seed ^ index)),
        },
        Command {
            name: "SELECT".into(),
            message: Message::line("a3 SELECT INBOX"),
        },
    ];
    Script {
        seed,
        index,
        commands,
    }
}
