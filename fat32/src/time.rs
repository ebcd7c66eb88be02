//! Timestamps. FAT stores local date and time with 2-second resolution
//! (creation time has an extra 10 ms field); the caller supplies the clock.

/// A calendar time as FAT stores it (years 1980..=2107).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct DateTime {
    pub year: u16,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
}

/// Where "now" comes from: the UNIX server passes its own clock; image
/// builders pass a fixed time for reproducible output.
pub trait Clock {
    fn now(&self) -> DateTime;
}

/// A clock that always says the same time.
#[derive(Clone, Copy, Debug)]
pub struct FixedClock(pub DateTime);

impl Clock for FixedClock {
    fn now(&self) -> DateTime {
        self.0
    }
}

impl DateTime {
    /// The FAT epoch, 1980-01-01 00:00:00, also used for zeroed fields.
    pub const EPOCH: DateTime = DateTime { year: 1980, month: 1, day: 1, hour: 0, minute: 0, second: 0 };

    pub fn new(year: u16, month: u8, day: u8, hour: u8, minute: u8, second: u8) -> Self {
        DateTime { year, month, day, hour, minute, second }
    }

    /// Packs into FAT's (date, time) words, clamping to the representable range.
    pub fn to_fat(self) -> (u16, u16) {
        let year = self.year.clamp(1980, 2107) - 1980;
        let month = self.month.clamp(1, 12) as u16;
        let day = self.day.clamp(1, 31) as u16;
        let date = (year << 9) | (month << 5) | day;
        let time = ((self.hour.min(23) as u16) << 11)
            | ((self.minute.min(59) as u16) << 5)
            | (self.second.min(59) as u16 / 2);
        (date, time)
    }

    /// Unpacks FAT words; a zero date (never set) reads as the FAT epoch.
    pub fn from_fat(date: u16, time: u16) -> Self {
        if date == 0 {
            return DateTime::EPOCH;
        }
        DateTime {
            year: 1980 + (date >> 9),
            month: ((date >> 5) & 0xF) as u8,
            day: (date & 0x1F) as u8,
            hour: (time >> 11) as u8,
            minute: ((time >> 5) & 0x3F) as u8,
            second: ((time & 0x1F) * 2) as u8,
        }
    }

    /// Seconds since 1970-01-01 00:00:00, treating the stored time as UTC.
    pub fn to_unix(self) -> i64 {
        let days = days_from_civil(self.year as i64, self.month as i64, self.day as i64);
        days * 86400 + self.hour as i64 * 3600 + self.minute as i64 * 60 + self.second as i64
    }

    /// The calendar time of a UNIX time (UTC).
    pub fn from_unix(secs: i64) -> Self {
        let days = secs.div_euclid(86400);
        let rem = secs.rem_euclid(86400);
        let (y, m, d) = civil_from_days(days);
        DateTime {
            year: y.clamp(0, u16::MAX as i64) as u16,
            month: m as u8,
            day: d as u8,
            hour: (rem / 3600) as u8,
            minute: (rem / 60 % 60) as u8,
            second: (rem % 60) as u8,
        }
    }
}

// Howard Hinnant's proleptic Gregorian day algorithms.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + if m <= 2 { 1 } else { 0 }, m, d)
}
