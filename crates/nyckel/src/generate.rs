//! `nyckel population generate`: a synthetic population CSV for benchmarks
//! and tests. Birth dates are spread evenly over 1920–2010; CPR numbers are
//! valid (real dates, 7th digit per the century table, last digit matching
//! the given names' sex) and unique; most persons are residents.

use std::collections::HashSet;
use std::io::{BufWriter, Write as _};
use std::process::ExitCode;

use anyhow::bail;
use nyckel_core::cpr::{Date, Sex};
use rand::rngs::StdRng;
use rand::{RngExt as _, SeedableRng as _};

use crate::synth;

/// More than this would make finding unused CPR numbers slow (there are
/// about 180 million in 1920–2010).
pub const MAX_COUNT: u64 = 50_000_000;

const FIRST_YEAR: i32 = 1920;
const LAST_YEAR: i32 = 2010;

/// Residence statuses and their weight in a thousand persons.
const RESIDENCE: [(&str, u32); 5] = [
    ("resident", 960),
    ("short-term", 15),
    ("emigrated", 10),
    ("deceased", 10),
    ("immigration-case", 5),
];

pub fn run(count: u64, seed: Option<u64>) -> anyhow::Result<ExitCode> {
    if count > MAX_COUNT {
        bail!("--count can be at most {MAX_COUNT}");
    }
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    let seed = seed.unwrap_or_else(|| rand::rng().random());
    write_csv(&mut out, count, seed)?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// Writes `count` persons as CSV, the same file for the same seed.
pub fn write_csv<W: std::io::Write>(out: &mut W, count: u64, seed: u64) -> anyhow::Result<()> {
    let mut rng = StdRng::seed_from_u64(seed);
    let dates = all_dates(FIRST_YEAR, LAST_YEAR);
    let mut seen: HashSet<u64> = HashSet::with_capacity(usize::try_from(count).unwrap_or(0));
    writeln!(out, "cpr,given_names,surname,address,residence")?;
    let mut written = 0;
    while written < count {
        let born = synth::pick(&mut rng, &dates);
        let sevenths = synth::seventh_digits(born.year());
        let seventh = u16::from(synth::pick(&mut rng, sevenths));
        let serial = seventh * 1000 + rng.random_range(0..1000u16);
        let digits = synth::cpr_digits(born, serial);
        let key: u64 = digits.parse()?;
        if !seen.insert(key) {
            continue;
        }
        let sex = if serial % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        };
        let given = synth::given_names(&mut rng, sex);
        let surname = synth::pick(&mut rng, synth::SURNAMES);
        let address = synth::address(&mut rng);
        let residence = residence(rng.random_range(0..1000));
        // Names and addresses hold no quotes; addresses hold commas.
        writeln!(
            out,
            "{}-{},{given},{surname},\"{address}\",{residence}",
            &digits[..6],
            &digits[6..]
        )?;
        written += 1;
    }
    Ok(())
}

fn residence(draw: u32) -> &'static str {
    let mut acc = 0;
    for (name, weight) in RESIDENCE {
        acc += weight;
        if draw < acc {
            return name;
        }
    }
    "resident"
}

fn all_dates(first: i32, last: i32) -> Vec<Date> {
    let mut dates = Vec::with_capacity(366 * usize::try_from(last - first + 1).unwrap_or(0));
    for year in first..=last {
        for month in 1..=12 {
            for day in 1..=31 {
                if let Some(d) = Date::new(year, month, day) {
                    dates.push(d);
                }
            }
        }
    }
    dates
}

#[cfg(test)]
mod tests {
    use super::*;
    use nyckel_core::population::{ImportFormat, records};

    #[test]
    fn ok_generated_file_imports_cleanly() {
        let mut buf = Vec::new();
        write_csv(&mut buf, 5000, 42).unwrap();
        let today = Date::new(2026, 1, 1).unwrap();
        let rows: Vec<_> = records(&buf[..], ImportFormat::Csv, today)
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(rows.len(), 5000);
        for (_, r) in &rows {
            let y = r.cpr.birth_date().year();
            assert!((FIRST_YEAR..=LAST_YEAR).contains(&y));
        }
    }

    #[test]
    fn ok_same_seed_same_file() {
        let (mut a, mut b) = (Vec::new(), Vec::new());
        write_csv(&mut a, 100, 7).unwrap();
        write_csv(&mut b, 100, 7).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn ok_residence_weights() {
        assert_eq!(residence(0), "resident");
        assert_eq!(residence(959), "resident");
        assert_eq!(residence(960), "short-term");
        assert_eq!(residence(999), "immigration-case");
    }
}
