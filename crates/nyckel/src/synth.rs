//! Made-up persons for the demo and for `population generate`: Danish names
//! and addresses, and CPR numbers whose 7th digit follows the century table.
//! None of these persons exists; any likeness to a real CPR number is chance.

use nyckel_core::cpr::{Cpr, Date, Sex};
use rand::RngExt as _;

pub const FEMALE_NAMES: &[&str] = &[
    "Anne",
    "Mette",
    "Kirsten",
    "Hanne",
    "Anna",
    "Helle",
    "Susanne",
    "Lene",
    "Maria",
    "Marianne",
    "Inge",
    "Karen",
    "Lone",
    "Bente",
    "Camilla",
    "Pia",
    "Louise",
    "Charlotte",
    "Ida",
    "Sofie",
    "Emma",
    "Freja",
    "Laura",
    "Julie",
    "Clara",
    "Signe",
    "Birgitte",
    "Ingrid",
    "Kirstine",
    "Astrid",
    "Ellen",
    "Agnes",
    "Else",
    "Tove",
    "Rikke",
    "Line",
    "Maja",
    "Nanna",
    "Cecilie",
    "Karoline",
];

pub const MALE_NAMES: &[&str] = &[
    "Peter",
    "Jens",
    "Lars",
    "Michael",
    "Henrik",
    "Thomas",
    "Søren",
    "Jan",
    "Niels",
    "Anders",
    "Christian",
    "Martin",
    "Rasmus",
    "Jesper",
    "Morten",
    "Mads",
    "Kim",
    "Ole",
    "Per",
    "Hans",
    "Jørgen",
    "Poul",
    "Erik",
    "Bent",
    "Frederik",
    "Emil",
    "Oliver",
    "William",
    "Noah",
    "Lucas",
    "Magnus",
    "Oscar",
    "Carl",
    "Victor",
    "Johan",
    "Kasper",
    "Jakob",
    "Mikkel",
    "Troels",
    "Aksel",
];

pub const SURNAMES: &[&str] = &[
    "Nielsen",
    "Jensen",
    "Hansen",
    "Pedersen",
    "Andersen",
    "Christensen",
    "Larsen",
    "Sørensen",
    "Rasmussen",
    "Jørgensen",
    "Petersen",
    "Madsen",
    "Kristensen",
    "Olsen",
    "Thomsen",
    "Christiansen",
    "Poulsen",
    "Johansen",
    "Møller",
    "Mortensen",
    "Knudsen",
    "Jakobsen",
    "Mikkelsen",
    "Olesen",
    "Frederiksen",
    "Laursen",
    "Henriksen",
    "Lund",
    "Schmidt",
    "Holm",
    "Kjær",
    "Bach",
    "Dahl",
    "Lauridsen",
    "Vestergaard",
    "Østergaard",
    "Bertelsen",
    "Skov",
    "Munk",
    "Friis",
];

pub const STREETS: &[&str] = &[
    "Vestergade",
    "Østergade",
    "Nørregade",
    "Søndergade",
    "Algade",
    "Kirkevej",
    "Skolevej",
    "Møllevej",
    "Birkevej",
    "Egevej",
    "Bøgevej",
    "Stationsvej",
    "Strandvejen",
    "Havnegade",
    "Torvegade",
    "Engvej",
    "Lærkevej",
    "Rosenvænget",
    "Kongensgade",
    "Dronningensgade",
    "Jernbanegade",
    "Bredgade",
    "Skovvej",
    "Ringvejen",
    "Fælledvej",
    "Åboulevarden",
    "Nyhavn",
    "Amagerbrogade",
    "Jagtvej",
    "Frederiksberg Allé",
];

/// (postcode, town) pairs.
pub const TOWNS: &[(&str, &str)] = &[
    ("1165", "København K"),
    ("2100", "København Ø"),
    ("2200", "København N"),
    ("2300", "København S"),
    ("2450", "København SV"),
    ("2000", "Frederiksberg"),
    ("2800", "Kongens Lyngby"),
    ("3000", "Helsingør"),
    ("3400", "Hillerød"),
    ("4000", "Roskilde"),
    ("4200", "Slagelse"),
    ("4700", "Næstved"),
    ("5000", "Odense C"),
    ("5700", "Svendborg"),
    ("6000", "Kolding"),
    ("6100", "Haderslev"),
    ("6700", "Esbjerg"),
    ("7100", "Vejle"),
    ("7400", "Herning"),
    ("7500", "Holstebro"),
    ("8000", "Aarhus C"),
    ("8200", "Aarhus N"),
    ("8600", "Silkeborg"),
    ("8700", "Horsens"),
    ("8800", "Viborg"),
    ("8900", "Randers C"),
    ("9000", "Aalborg"),
    ("9700", "Brønderslev"),
    ("9800", "Hjørring"),
    ("3700", "Rønne"),
];

/// The 7th digits that give `year` with its last two digits, per the
/// century table (0–3: 1900–1999; 4 and 9: 2000–2036 and 1937–1999; 5–8:
/// 2000–2057 and 1858–1899). Empty for years outside 1858–2057.
pub fn seventh_digits(year: i32) -> &'static [u8] {
    match year {
        1858..=1899 => &[5, 6, 7, 8],
        1900..=1936 => &[0, 1, 2, 3],
        1937..=1999 => &[0, 1, 2, 3, 4, 9],
        2000..=2036 => &[4, 5, 6, 7, 8, 9],
        2037..=2057 => &[5, 6, 7, 8],
        _ => &[],
    }
}

/// The ten digits `DDMMYY` + `serial` (4 digits), e.g. `1403854012`.
pub fn cpr_digits(born: Date, serial: u16) -> String {
    format!(
        "{:02}{:02}{:02}{:04}",
        born.day(),
        born.month(),
        born.year().rem_euclid(100),
        serial
    )
}

/// A CPR number for someone born on `born`: the first serial from `start`
/// (cycling through 0000–9999) whose 7th digit gives the right century, whose
/// last digit gives `sex` and that passes (or fails) the modulus-11 check
/// as asked. `None` if the year has no century digit.
pub fn cpr_for(born: Date, sex: Sex, modulus11: bool, start: u16, today: Date) -> Option<Cpr> {
    let digits = seventh_digits(born.year());
    (0..10_000u16)
        .map(|i| (start % 10_000 + i) % 10_000)
        .filter(|s| digits.contains(&u8::try_from(s / 1000).unwrap_or(u8::MAX)))
        .filter(|s| (s % 2 == 1) == (sex == Sex::Male))
        .filter_map(|s| Cpr::parse(&cpr_digits(born, s), today).ok())
        .find(|c| c.modulus11_ok() == modulus11 && c.birth_date() == born)
}

/// A made-up Danish address, e.g. `Vestergade 12, 2. th., 8000 Aarhus C`.
pub fn address<R: rand::Rng + ?Sized>(rng: &mut R) -> String {
    let street = pick(rng, STREETS);
    let number = rng.random_range(1..=180u32);
    let (postcode, town) = pick(rng, TOWNS);
    if rng.random_bool(0.4) {
        let floor = rng.random_range(1..=5u32);
        let side = pick(rng, &["th.", "tv.", "mf."]);
        format!("{street} {number}, {floor}. {side}, {postcode} {town}")
    } else {
        format!("{street} {number}, {postcode} {town}")
    }
}

/// Given names for `sex`: one or two names.
pub fn given_names<R: rand::Rng + ?Sized>(rng: &mut R, sex: Sex) -> String {
    let list = match sex {
        Sex::Female => FEMALE_NAMES,
        Sex::Male => MALE_NAMES,
    };
    let first = pick(rng, list);
    if rng.random_bool(0.3) {
        let second = pick(rng, list);
        if second != first {
            return format!("{first} {second}");
        }
    }
    first.to_owned()
}

/// A random element of a non-empty list.
pub fn pick<T: Copy, R: rand::Rng + ?Sized>(rng: &mut R, list: &[T]) -> T {
    list[rng.random_range(0..list.len())]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u8, d: u8) -> Date {
        Date::new(y, m, d).unwrap()
    }

    #[test]
    fn ok_cpr_for_every_century_and_sex() {
        let today = date(2026, 6, 1);
        for born in [
            date(1890, 1, 2),
            date(1920, 2, 29),
            date(1961, 7, 7),
            date(2005, 12, 31),
            date(2016, 6, 1),
        ] {
            for sex in [Sex::Female, Sex::Male] {
                for m11 in [true, false] {
                    let c = cpr_for(born, sex, m11, 4000, today).unwrap();
                    assert_eq!(c.birth_date(), born);
                    assert_eq!(c.sex(), sex);
                    assert_eq!(c.modulus11_ok(), m11);
                }
            }
        }
    }

    #[test]
    fn fail_cpr_for_year_without_century_digit() {
        assert!(cpr_for(date(1850, 1, 1), Sex::Male, false, 0, date(2026, 1, 1)).is_none());
    }
}
