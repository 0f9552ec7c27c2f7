//! Dates of drawn messages and commands: RFC 822 §5.1 `date-time` (with the four-digit
//! year of RFC 1123 §5.2.14) for the Date field, RFC 2060 §9 `date_text` for SEARCH and
//! `date_time` for APPEND's internal date.

use arbitrary::Unstructured;

use crate::gen::entropy::{int, pick};

/// RFC 2060 §9 `date_month`.
pub const MONTHS: &[&str] = &[
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

const WEEKDAYS: &[&str] = &["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/// A calendar day and a time of day, with a zone offset in minutes east of UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Moment {
    pub year: u32,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    pub zone_minutes: i32,
}

impl Moment {
    /// A moment between 1995 and 2025 (day 1..=28, so every month has it).
    pub fn draw(u: &mut Unstructured) -> Moment {
        const ZONES: &[i32] = &[0, 60, -300, -480, 330, 540, -210];
        Moment {
            year: int(u, 1995, 2025),
            month: int(u, 1, 12),
            day: int(u, 1, 28),
            hour: int(u, 0, 23),
            minute: int(u, 0, 59),
            second: int(u, 0, 59),
            zone_minutes: *pick(u, ZONES),
        }
    }

    fn zone(&self) -> String {
        let sign = if self.zone_minutes < 0 { '-' } else { '+' };
        let m = self.zone_minutes.unsigned_abs();
        format!("{sign}{:02}{:02}", m / 60, m % 60)
    }

    fn month_name(&self) -> &'static str {
        MONTHS[(self.month - 1) as usize]
    }

    /// Day of the week, 0 = Sunday (Sakamoto's method, Gregorian calendar).
    fn weekday(&self) -> usize {
        const T: [u32; 12] = [0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4];
        let y = if self.month < 3 {
            self.year - 1
        } else {
            self.year
        };
        ((y + y / 4 - y / 100 + y / 400 + T[(self.month - 1) as usize] + self.day) % 7) as usize
    }

    /// RFC 822 §5.1 `date-time`, with the four-digit year of RFC 1123 §5.2.14:
    /// `Thu, 7 Feb 2019 21:52:25 -0800`.
    pub fn rfc822(&self) -> String {
        format!(
            "{}, {} {} {} {:02}:{:02}:{:02} {}",
            WEEKDAYS[self.weekday()],
            self.day,
            self.month_name(),
            self.year,
            self.hour,
            self.minute,
            self.second,
            self.zone()
        )
    }

    /// RFC 2060 §9 `date_text ::= date_day "-" date_month "-" date_year` (for SEARCH).
    pub fn search_date(&self) -> String {
        format!("{}-{}-{}", self.day, self.month_name(), self.year)
    }

    /// RFC 2060 §9 `date_time ::= <"> date_day_fixed "-" date_month "-" date_year SPACE
    /// time SPACE zone <">` (for APPEND), without the quotes. `fixed_width_day` picks
    /// between the two-digit and the space-padded day.
    pub fn internal_date(&self, space_padded_day: bool) -> String {
        let day = if space_padded_day && self.day < 10 {
            format!(" {}", self.day)
        } else {
            format!("{:02}", self.day)
        };
        format!(
            "{day}-{}-{} {:02}:{:02}:{:02} {}",
            self.month_name(),
            self.year,
            self.hour,
            self.minute,
            self.second,
            self.zone()
        )
    }
}
