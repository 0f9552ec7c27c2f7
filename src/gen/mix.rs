//! The command mix: how often each command is drawn, relative to the built-in weights of
//! [`Kind::table`]. A user tunes it per command on the command line (`--mix
//! "FETCH=3,STORE=0"`) or in a TOML file (`--mix-file mix.toml`, a `[mix]` table), e.g.
//! to aim a campaign at SEARCH, or to leave out a command a server does not implement.

use std::collections::BTreeMap;

use super::kind::{Kind, Situation};

/// Multipliers of the built-in weights, in percent (100: unchanged, 0: never drawn).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CommandMix {
    percent: BTreeMap<Kind, u32>,
}

impl CommandMix {
    /// Parses `NAME=FACTOR[,NAME=FACTOR...]`. NAME is a command of RFC 2060 §6 as
    /// [`Kind::name`] spells it, any case, with `UID FETCH` also written `UID_FETCH`;
    /// FACTOR is a non-negative number (`0.5`, `3`).
    pub fn parse(text: &str) -> Result<CommandMix, String> {
        let mut mix = CommandMix::default();
        for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (name, factor) = item
                .split_once('=')
                .ok_or_else(|| format!("{item:?}: expected NAME=FACTOR, e.g. FETCH=3"))?;
            mix.set(name, factor.trim())?;
        }
        Ok(mix)
    }

    /// Reads a TOML file whose `[mix]` table maps command names to factors, e.g.
    /// `FETCH = 3` and `"UID COPY" = 0`.
    pub fn from_toml(text: &str) -> Result<CommandMix, String> {
        let doc: toml::Table = toml::from_str(text)
            .map_err(|e: toml::de::Error| crate::input::toml_error(text, &e))?;
        let mut mix = CommandMix::default();
        let Some(table) = doc.get("mix") else {
            return Err("no [mix] table".into());
        };
        let table = table
            .as_table()
            .ok_or_else(|| "`mix` must be a table".to_string())?;
        for (name, value) in table {
            let factor = match value {
                toml::Value::Integer(i) => i.to_string(),
                toml::Value::Float(f) => f.to_string(),
                _ => return Err(format!("mix.{name}: expected a number")),
            };
            mix.set(name, &factor)?;
        }
        Ok(mix)
    }

    /// Adds the factors of `other`, which win where both name a command.
    pub fn merge(&mut self, other: CommandMix) {
        self.percent.extend(other.percent);
    }

    fn set(&mut self, name: &str, factor: &str) -> Result<(), String> {
        let wanted = name.trim().replace('_', " ");
        let kind = Kind::ALL
            .iter()
            .copied()
            .find(|k| k.name().eq_ignore_ascii_case(&wanted))
            .ok_or_else(|| {
                let names: Vec<&str> = Kind::ALL.iter().map(|k| k.name()).collect();
                format!("{name:?} is not a command; one of: {}", names.join(", "))
            })?;
        let f: f64 = factor
            .parse()
            .ok()
            .filter(|f: &f64| f.is_finite() && *f >= 0.0 && *f <= 1000.0)
            .ok_or_else(|| {
                format!("{name}={factor}: the factor must be a number from 0 to 1000")
            })?;
        self.percent.insert(kind, (f * 100.0).round() as u32);
        Ok(())
    }

    /// Whether the mix leaves `kind` in (its factor is not 0): twin questions send only
    /// commands the mix allows.
    pub fn allows(&self, kind: Kind) -> bool {
        self.percent.get(&kind) != Some(&0)
    }

    /// The weighted table for `situation` with the factors applied. A command whose
    /// built-in weight is not zero keeps a weight of at least 1 unless its factor is 0.
    /// When the factors leave nothing to draw in this situation, the built-in table is
    /// used (a session must go on).
    pub fn table(&self, situation: Situation) -> Vec<(Kind, u32)> {
        let base = Kind::table(situation);
        if self.percent.is_empty() {
            return base;
        }
        let mixed: Vec<(Kind, u32)> = base
            .iter()
            .map(|&(k, w)| match self.percent.get(&k) {
                None => (k, w),
                Some(0) => (k, 0),
                Some(&p) => (k, ((u64::from(w) * u64::from(p)).div_ceil(100)) as u32),
            })
            .collect();
        if mixed.iter().all(|&(_, w)| w == 0) {
            base
        } else {
            mixed
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factors_scale_the_built_in_weights() {
        let mix = CommandMix::parse("fetch=3, STORE=0,uid_copy=0.5").unwrap();
        let selected = Situation {
            selected: true,
            ..Situation::default()
        };
        let base: BTreeMap<Kind, u32> = Kind::table(selected).into_iter().collect();
        let mixed: BTreeMap<Kind, u32> = mix.table(selected).into_iter().collect();
        assert_eq!(mixed[&Kind::Fetch], base[&Kind::Fetch] * 3);
        assert_eq!(mixed[&Kind::Store], 0);
        assert_eq!(mixed[&Kind::UidCopy], base[&Kind::UidCopy].div_ceil(2));
        assert_eq!(mixed[&Kind::Search], base[&Kind::Search]);
    }

    #[test]
    fn a_mix_that_leaves_nothing_falls_back_to_the_built_in_table() {
        let all: Vec<String> = Kind::ALL
            .iter()
            .map(|k| format!("{}=0", k.name()))
            .collect();
        let mix = CommandMix::parse(&all.join(",")).unwrap();
        let s = Situation::default();
        assert_eq!(mix.table(s), Kind::table(s));
    }

    #[test]
    fn bad_mixes_are_refused_with_the_reason() {
        assert!(CommandMix::parse("FETCH")
            .unwrap_err()
            .contains("NAME=FACTOR"));
        assert!(CommandMix::parse("FECTH=2")
            .unwrap_err()
            .contains("not a command"));
        assert!(CommandMix::parse("FETCH=-1")
            .unwrap_err()
            .contains("from 0 to 1000"));
        assert!(CommandMix::parse("FETCH=x").is_err());
        let file = CommandMix::from_toml("[mix]\nFETCH = 2\n\"UID COPY\" = 0.25\n").unwrap();
        assert_eq!(file, CommandMix::parse("FETCH=2,UID COPY=0.25").unwrap());
        assert!(CommandMix::from_toml("[mix]\nFETCH = \"many\"\n").is_err());
        assert!(CommandMix::from_toml("FETCH = 2\n")
            .unwrap_err()
            .contains("[mix]"));
    }
}
