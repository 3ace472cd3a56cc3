//! Import files from the population register (*CPR-registret*), R-CPR-2.
//!
//! An import file is untrusted input: it may be truncated, mis-encoded,
//! hand-edited or hostile. [`records`] streams it and yields one
//! [`PersonRecord`] per row, or the first problem found, naming the physical
//! line (1-based, as an editor shows it) and the field, so that an operator
//! can fix the file and import it again. Nothing is yielded after an error.
//!
//! Two formats, with the same five fields:
//!
//! - CSV with the exact header `cpr,given_names,surname,address,residence`
//!   (RFC 4180 quoting; LF, CRLF or CR line endings; blank lines skipped);
//! - JSON Lines: one object per line with these five members, all strings;
//!   unknown members refused; blank lines skipped.
//!
//! A UTF-8 byte-order mark at the start of the file is ignored. Memory stays
//! constant apart from the map of CPR numbers seen (a few dozen bytes a row,
//! to refuse duplicates within a file and say where the first one was): a row
//! longer than [`MAX_ROW_BYTES`] is refused rather than buffered. Error messages never repeat a field's value, since
//! values are personal data and errors end up in logs.
//!
//! Throughput: about a million rows in a few seconds in a release build; see
//! the ignored test `perf_one_million_rows` (`cargo test --release -p
//! nyckel-core --lib population::tests::perf -- --ignored --nocapture`).

use std::borrow::Cow;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fmt;
use std::io::{self, BufRead, BufReader, Read};
use std::iter::FusedIterator;
use std::path::Path;

use nyckel_cpr::{Cpr, CprError, Date, PersonRecord, Residence};
use serde::Deserialize;
use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// The fields of an import row, in CSV column order.
pub const FIELDS: [&str; 5] = ["cpr", "given_names", "surname", "address", "residence"];

/// Longest given names or surname accepted, in characters.
pub const MAX_NAME_CHARS: usize = 200;

/// Longest address accepted, in characters.
pub const MAX_ADDRESS_CHARS: usize = 400;

/// Longest row accepted, in bytes (a JSON line, or a CSV record including
/// quoted line breaks). Far above what valid fields need, it bounds memory.
pub const MAX_ROW_BYTES: u64 = 64 * 1024;

const BOM: &[u8] = b"\xef\xbb\xbf";
const HEADER_HINT: &str = "wrong header: expected cpr,given_names,surname,address,residence";

/// The format of an import file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportFormat {
    Csv,
    JsonLines,
}

impl ImportFormat {
    /// The format named by a file's extension (case-insensitive): `.csv`, or
    /// `.jsonl`, `.ndjson`, `.json` for JSON Lines.
    pub fn from_path(path: &Path) -> Option<Self> {
        let ext = path.extension()?.to_str()?;
        if ext.eq_ignore_ascii_case("csv") {
            Some(Self::Csv)
        } else if ["jsonl", "ndjson", "json"]
            .iter()
            .any(|e| ext.eq_ignore_ascii_case(e))
        {
            Some(Self::JsonLines)
        } else {
            None
        }
    }

    /// Guesses the format from the start of a file: JSON Lines if the first
    /// character other than a byte-order mark or whitespace is `{`, else CSV.
    pub fn sniff(first_bytes: &[u8]) -> Self {
        let rest = first_bytes.strip_prefix(BOM).unwrap_or(first_bytes);
        match rest.iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'{') => Self::JsonLines,
            _ => Self::Csv,
        }
    }
}

/// Why an import file was refused, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    /// 1-based physical line of the file (the CSV header is line 1; for a CSV
    /// record spanning several lines, the line it starts on).
    pub line: u64,
    /// The field at fault, if the problem is with one field.
    pub field: Option<&'static str>,
    /// What is wrong, for an operator; never contains a field's value.
    pub message: String,
}

impl ImportError {
    fn new(line: u64, field: Option<&'static str>, message: impl Into<String>) -> Self {
        Self {
            line,
            field,
            message: message.into(),
        }
    }
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.field {
            Some(field) => write!(f, "line {}, field {field}: {}", self.line, self.message),
            None => write!(f, "line {}: {}", self.line, self.message),
        }
    }
}

impl std::error::Error for ImportError {}

/// Streams the records of an import file. `today` bounds birth dates: a CPR
/// number born after it is refused.
///
/// The reader need not be buffered.
pub fn records<R: Read>(reader: R, format: ImportFormat, today: Date) -> Records<R> {
    let source = match format {
        ImportFormat::Csv => Source::Csv(Box::new(CsvSource {
            reader: csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(LineFeeder::new(reader)),
            record: csv::ByteRecord::new(),
            header_seen: false,
        })),
        ImportFormat::JsonLines => Source::JsonLines(JsonSource {
            reader: BufReader::new(reader),
            buf: Vec::new(),
            line: 0,
        }),
    };
    Records {
        source,
        checker: Checker {
            today,
            seen: HashMap::new(),
        },
        done: false,
    }
}

/// The records of an import file: an iterator of `(line, record)` that stops
/// after the first error. Made by [`records`].
pub struct Records<R> {
    source: Source<R>,
    checker: Checker,
    done: bool,
}

impl<R> fmt::Debug for Records<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Records")
            .field("rows_seen", &self.checker.seen.len())
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

enum Source<R> {
    // Boxed: the csv reader carries its buffers inline.
    Csv(Box<CsvSource<R>>),
    JsonLines(JsonSource<R>),
}

impl<R: Read> Iterator for Records<R> {
    type Item = Result<(u64, PersonRecord), ImportError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let item = match &mut self.source {
            Source::Csv(src) => src.next_record(&mut self.checker),
            Source::JsonLines(src) => src.next_record(&mut self.checker),
        };
        if !matches!(item, Some(Ok(_))) {
            self.done = true;
        }
        item
    }
}

impl<R: Read> FusedIterator for Records<R> {}

/// Field checks shared by both formats, and the duplicate set.
struct Checker {
    today: Date,
    /// Compact CPR number (as a 10-digit integer) → line first seen.
    seen: HashMap<u64, u64>,
}

impl Checker {
    /// Checks one row's five fields, given in [`FIELDS`] order.
    fn check(&mut self, line: u64, fields: [&str; 5]) -> Result<PersonRecord, ImportError> {
        let [cpr, given_names, surname, address, residence] = fields;
        let err = |field, message: &str| ImportError::new(line, Some(field), message);

        let cpr_text = cpr.trim();
        if cpr_text.is_empty() {
            return Err(err("cpr", "empty"));
        }
        let cpr = Cpr::parse(cpr_text, self.today).map_err(|e| {
            let why = match e {
                CprError::Format => e.to_string(),
                CprError::InvalidDate => {
                    "the first six digits are not a real date (DDMMYY)".to_owned()
                }
                CprError::FutureBirthDate => "the birth date lies in the future".to_owned(),
            };
            err("cpr", &format!("not a CPR number: {why}"))
        })?;
        let given_names = text(given_names, MAX_NAME_CHARS).map_err(|m| err("given_names", &m))?;
        let surname = text(surname, MAX_NAME_CHARS).map_err(|m| err("surname", &m))?;
        let address = text(address, MAX_ADDRESS_CHARS).map_err(|m| err("address", &m))?;
        let residence = residence.trim();
        if residence.is_empty() {
            return Err(err("residence", "empty"));
        }
        let residence: Residence = residence
            .parse()
            .map_err(|e: nyckel_cpr::UnknownResidence| err("residence", &e.to_string()))?;

        match self.seen.entry(cpr_key(cpr_text)) {
            Entry::Occupied(first) => Err(err(
                "cpr",
                &format!("duplicate CPR number (first seen on line {})", first.get()),
            )),
            Entry::Vacant(slot) => {
                slot.insert(line);
                Ok(PersonRecord {
                    cpr,
                    given_names: given_names.to_owned(),
                    surname: surname.to_owned(),
                    address: address.to_owned(),
                    residence,
                })
            }
        }
    }
}

/// The ten digits of an already parsed CPR number as an integer, without
/// allocating (a `String` per row would show in a million-row import).
fn cpr_key(parsed: &str) -> u64 {
    parsed
        .bytes()
        .filter(u8::is_ascii_digit)
        .fold(0, |acc, d| acc * 10 + u64::from(d - b'0'))
}

/// Trims a name or address and checks it; the error is the message.
fn text(value: &str, max_chars: usize) -> Result<&str, String> {
    let value = value.trim();
    if value.is_empty() {
        return Err("empty".to_owned());
    }
    if value.chars().nth(max_chars).is_some() {
        return Err(format!("too long (max {max_chars} characters)"));
    }
    if value.chars().any(char::is_control) {
        return Err("contains a control character".to_owned());
    }
    // Bidirectional overrides make a name display as something else; names
    // end up on certificates and screens where that would mislead.
    if value.chars().any(is_bidi_control) {
        return Err("contains a bidirectional-text control character".to_owned());
    }
    Ok(value)
}

fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
    )
}

// ---------------------------------------------------------------------------
// CSV

struct CsvSource<R> {
    reader: csv::Reader<LineFeeder<R>>,
    record: csv::ByteRecord,
    header_seen: bool,
}

impl<R: Read> CsvSource<R> {
    fn next_record(
        &mut self,
        checker: &mut Checker,
    ) -> Option<Result<(u64, PersonRecord), ImportError>> {
        loop {
            self.reader.get_mut().start_record();
            let read = self.reader.read_byte_record(&mut self.record);
            let feeder = self.reader.get_ref();
            let line = feeder.record_start.unwrap_or(feeder.line);
            match read {
                Ok(true) => {}
                Ok(false) if self.header_seen => return None,
                Ok(false) => {
                    return Some(Err(ImportError::new(
                        1,
                        None,
                        format!("{HEADER_HINT} (the file is empty)"),
                    )));
                }
                Err(e) => {
                    let message = if feeder.too_long {
                        format!("row too long (max {MAX_ROW_BYTES} bytes)")
                    } else {
                        format!("could not read the file: {e}")
                    };
                    return Some(Err(ImportError::new(line, None, message)));
                }
            }
            if !self.header_seen {
                if !is_header(&self.record) {
                    return Some(Err(ImportError::new(line, None, HEADER_HINT)));
                }
                self.header_seen = true;
                continue;
            }
            return Some(self.check_row(line, checker).map(|rec| (line, rec)));
        }
    }

    fn check_row(&self, line: u64, checker: &mut Checker) -> Result<PersonRecord, ImportError> {
        let record = &self.record;
        if record.len() != FIELDS.len() {
            return Err(ImportError::new(
                line,
                None,
                format!(
                    "expected 5 columns (cpr,given_names,surname,address,residence), found {}",
                    record.len()
                ),
            ));
        }
        let mut fields = [""; 5];
        for ((slot, raw), name) in fields.iter_mut().zip(record).zip(FIELDS) {
            *slot = std::str::from_utf8(raw)
                .map_err(|_| ImportError::new(line, Some(name), "not valid UTF-8"))?;
        }
        checker.check(line, fields)
    }
}

fn is_header(record: &csv::ByteRecord) -> bool {
    record.len() == FIELDS.len()
        && record
            .iter()
            .zip(FIELDS)
            .enumerate()
            .all(|(i, (got, want))| {
                // The feeder strips a byte-order mark unless it arrived split
                // over reads; strip it here too.
                let got = if i == 0 {
                    got.strip_prefix(BOM).unwrap_or(got)
                } else {
                    got
                };
                got == want.as_bytes()
            })
}

/// Feeds the csv reader one physical line at a time, so that it knows which
/// line each record starts on. `csv::Position` cannot tell: it lags a line
/// after CRLF and does not count the blank lines it skips. Also strips a
/// leading byte-order mark and bounds the size of a record.
struct LineFeeder<R> {
    inner: BufReader<R>,
    /// Line of the next byte to hand out.
    line: u64,
    /// The last byte handed out was CR: a line break unless LF follows.
    pending_cr: bool,
    /// Line of the first byte of the current record other than a line break.
    record_start: Option<u64>,
    record_bytes: u64,
    too_long: bool,
    at_start: bool,
}

impl<R: Read> LineFeeder<R> {
    fn new(inner: R) -> Self {
        Self {
            inner: BufReader::new(inner),
            line: 1,
            pending_cr: false,
            record_start: None,
            record_bytes: 0,
            too_long: false,
            at_start: true,
        }
    }

    fn start_record(&mut self) {
        self.record_start = None;
        self.record_bytes = 0;
    }
}

impl<R: Read> Read for LineFeeder<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        if self.at_start {
            self.at_start = false;
            if self.inner.fill_buf()?.starts_with(BOM) {
                self.inner.consume(BOM.len());
            }
        }
        let avail = self.inner.fill_buf()?;
        let Some(&first) = avail.first() else {
            return Ok(0);
        };
        if self.pending_cr {
            self.pending_cr = false;
            if first != b'\n' {
                self.line += 1;
            }
        }
        let len = avail
            .iter()
            .position(|&b| b == b'\n' || b == b'\r')
            .map_or(avail.len(), |i| i + 1)
            .min(out.len());
        let chunk = &avail[..len];
        out[..len].copy_from_slice(chunk);
        if self.record_start.is_none() && chunk.iter().any(|&b| b != b'\n' && b != b'\r') {
            self.record_start = Some(self.line);
        }
        match chunk.last() {
            Some(b'\n') => self.line += 1,
            Some(b'\r') => self.pending_cr = true,
            _ => {}
        }
        self.inner.consume(len);
        self.record_bytes += len as u64;
        if self.record_bytes > MAX_ROW_BYTES {
            self.too_long = true;
            return Err(io::Error::other("row too long"));
        }
        Ok(len)
    }
}

// ---------------------------------------------------------------------------
// JSON Lines

struct JsonSource<R> {
    reader: BufReader<R>,
    buf: Vec<u8>,
    line: u64,
}

impl<R: Read> JsonSource<R> {
    fn next_record(
        &mut self,
        checker: &mut Checker,
    ) -> Option<Result<(u64, PersonRecord), ImportError>> {
        loop {
            self.buf.clear();
            self.line += 1;
            let line = self.line;
            let read = (&mut self.reader)
                .take(MAX_ROW_BYTES + 1)
                .read_until(b'\n', &mut self.buf);
            match read {
                Ok(0) => return None,
                Ok(_) => {}
                Err(e) => {
                    return Some(Err(ImportError::new(
                        line,
                        None,
                        format!("could not read the file: {e}"),
                    )));
                }
            }
            let mut bytes = self.buf.as_slice();
            if let Some(rest) = bytes.strip_suffix(b"\n") {
                bytes = rest.strip_suffix(b"\r").unwrap_or(rest);
            } else if bytes.len() as u64 > MAX_ROW_BYTES {
                return Some(Err(ImportError::new(
                    line,
                    None,
                    format!("line too long (max {MAX_ROW_BYTES} bytes)"),
                )));
            }
            if line == 1 {
                bytes = bytes.strip_prefix(BOM).unwrap_or(bytes);
            }
            if bytes.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            return Some(parse_json_line(line, bytes, checker).map(|rec| (line, rec)));
        }
    }
}

fn parse_json_line(
    line: u64,
    bytes: &[u8],
    checker: &mut Checker,
) -> Result<PersonRecord, ImportError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        ImportError::new(
            line,
            None,
            format!("not valid UTF-8 (byte {} of the line)", e.valid_up_to() + 1),
        )
    })?;
    let parsed: JsonLine<'_> = serde_json::from_str(text).map_err(|e| {
        // serde_json's messages end in "at line 1 column N"; the line is
        // ours to give, and syntax messages never quote the input.
        let full = e.to_string();
        let what = full
            .rfind(" at line ")
            .map_or(full.as_str(), |i| &full[..i]);
        ImportError::new(
            line,
            None,
            format!("not valid JSON: {what} (column {})", e.column()),
        )
    })?;
    let values = parsed
        .0
        .map_err(|(field, message)| ImportError::new(line, field, message))?;
    let [a, b, c, d, e] = &values;
    checker.check(line, [a, b, c, d, e])
}

/// One JSON line: the five members in [`FIELDS`] order, or the first problem
/// with its structure. Problems are values rather than serde errors so that
/// they keep their field and do not quote the input.
struct JsonLine<'a>(Result<[Cow<'a, str>; 5], (Option<&'static str>, String)>);

impl<'de> Deserialize<'de> for JsonLine<'de> {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(LineVisitor)
    }
}

const EXPECTED_OBJECT: &str =
    "expected a JSON object with members cpr, given_names, surname, address, residence";

struct LineVisitor;

impl LineVisitor {
    fn not_object<'a>(found: &str) -> JsonLine<'a> {
        JsonLine(Err((None, format!("{EXPECTED_OBJECT}, found {found}"))))
    }
}

impl<'de> Visitor<'de> for LineVisitor {
    type Value = JsonLine<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut values: [Option<Cow<'de, str>>; 5] = Default::default();
        let mut problem: Option<(Option<&'static str>, String)> = None;
        while let Some(key) = map.next_key::<Member>()? {
            if problem.is_some() {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            let index = match key {
                Member::Known(index) => index,
                Member::Unknown(name) => {
                    map.next_value::<IgnoredAny>()?;
                    problem = Some((
                        None,
                        format!(
                            "unknown member {name:?} (allowed: cpr, given_names, surname, address, residence)"
                        ),
                    ));
                    continue;
                }
            };
            let field = FIELDS[index];
            match map.next_value::<Value<'de>>()? {
                Value::Str(_) if values[index].is_some() => {
                    problem = Some((Some(field), "appears twice".to_owned()));
                }
                Value::Str(s) => values[index] = Some(s),
                Value::Other(found) => {
                    problem = Some((Some(field), format!("must be a string, found {found}")));
                }
            }
        }
        if let Some(problem) = problem {
            return Ok(JsonLine(Err(problem)));
        }
        let mut out: [Cow<'de, str>; 5] = Default::default();
        for ((slot, value), field) in out.iter_mut().zip(values).zip(FIELDS) {
            match value {
                Some(v) => *slot = v,
                None => return Ok(JsonLine(Err((Some(field), "missing".to_owned())))),
            }
        }
        Ok(JsonLine(Ok(out)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Self::not_object("an array"))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Self::not_object("a string"))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Self::not_object("true or false"))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Self::not_object("a number"))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Self::not_object("a number"))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Self::not_object("a number"))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Self::not_object("null"))
    }
}

/// A member name: one of [`FIELDS`] by index, or another (kept short for the
/// message).
enum Member {
    Known(usize),
    Unknown(String),
}

impl<'de> Deserialize<'de> for Member {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MemberVisitor;
        impl Visitor<'_> for MemberVisitor {
            type Value = Member;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a member name")
            }
            fn visit_str<E: de::Error>(self, name: &str) -> Result<Member, E> {
                Ok(match FIELDS.iter().position(|f| *f == name) {
                    Some(index) => Member::Known(index),
                    None => Member::Unknown(name.chars().take(40).collect()),
                })
            }
        }
        deserializer.deserialize_str(MemberVisitor)
    }
}

/// A member's value: a string (borrowed from the line when it has no
/// escapes), or what else it was.
enum Value<'a> {
    Str(Cow<'a, str>),
    Other(&'static str),
}

impl<'de> Deserialize<'de> for Value<'de> {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ValueVisitor;
        impl<'de> Visitor<'de> for ValueVisitor {
            type Value = Value<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Value<'de>, E> {
                Ok(Value::Str(Cow::Borrowed(s)))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Value<'de>, E> {
                Ok(Value::Str(Cow::Owned(s.to_owned())))
            }
            fn visit_string<E: de::Error>(self, s: String) -> Result<Value<'de>, E> {
                Ok(Value::Str(Cow::Owned(s)))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Value<'de>, E> {
                Ok(Value::Other("true or false"))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Value<'de>, E> {
                Ok(Value::Other("a number"))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Value<'de>, E> {
                Ok(Value::Other("a number"))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Value<'de>, E> {
                Ok(Value::Other("a number"))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Value<'de>, E> {
                Ok(Value::Other("null"))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value<'de>, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Value::Other("an array"))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value<'de>, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Value::Other("an object"))
            }
        }
        deserializer.deserialize_any(ValueVisitor)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const HEADER: &str = "cpr,given_names,surname,address,residence";

    fn today() -> Date {
        Date::new(2026, 1, 15).unwrap()
    }

    fn parse(input: &[u8], format: ImportFormat) -> Result<Vec<(u64, PersonRecord)>, ImportError> {
        records(input, format, today()).collect()
    }

    fn person(cpr: &str, given: &str, surname: &str, address: &str, r: Residence) -> PersonRecord {
        PersonRecord {
            cpr: Cpr::parse(cpr, today()).unwrap(),
            given_names: given.to_owned(),
            surname: surname.to_owned(),
            address: address.to_owned(),
            residence: r,
        }
    }

    fn anna() -> PersonRecord {
        person(
            "010190-1234",
            "Anna",
            "Hansen",
            "Nørregade 1, 1165 København K",
            Residence::Resident,
        )
    }

    fn bo() -> PersonRecord {
        person(
            "020285-2345",
            "Bo Erik",
            "Ørsted",
            "Algade 2",
            Residence::ShortTerm,
        )
    }

    const ANNA_CSV: &str = "010190-1234,Anna,Hansen,\"Nørregade 1, 1165 København K\",resident";
    const BO_CSV: &str = "0202852345, Bo Erik ,Ørsted,Algade 2,short-term";
    const ANNA_JSON: &str = r#"{"cpr":"010190-1234","given_names":"Anna","surname":"Hansen","address":"Nørregade 1, 1165 København K","residence":"resident"}"#;
    const BO_JSON: &str = r#"{"residence":"short-term","cpr":"0202852345","given_names":" Bo Erik ","surname":"\u00d8rsted","address":"Algade 2"}"#;

    #[test]
    fn ok_cases() {
        use ImportFormat::{Csv, JsonLines};
        type Case = (&'static str, ImportFormat, String, Vec<(u64, PersonRecord)>);
        let cases: Vec<Case> = vec![
            (
                "ok/csv",
                Csv,
                format!("{HEADER}\n{ANNA_CSV}\n{BO_CSV}\n"),
                vec![(2, anna()), (3, bo())],
            ),
            (
                "ok/csv_no_final_newline",
                Csv,
                format!("{HEADER}\n{ANNA_CSV}"),
                vec![(2, anna())],
            ),
            (
                "ok/csv_crlf",
                Csv,
                format!("{HEADER}\r\n{ANNA_CSV}\r\n{BO_CSV}\r\n"),
                vec![(2, anna()), (3, bo())],
            ),
            (
                "ok/csv_cr",
                Csv,
                format!("{HEADER}\r{ANNA_CSV}\r{BO_CSV}\r"),
                vec![(2, anna()), (3, bo())],
            ),
            (
                "ok/csv_bom",
                Csv,
                format!("\u{feff}{HEADER}\n{ANNA_CSV}\n"),
                vec![(2, anna())],
            ),
            (
                "ok/csv_blank_lines_counted",
                Csv,
                format!("\n{HEADER}\r\n\r\n{ANNA_CSV}\r\n\r\n\r\n{BO_CSV}\n\n"),
                vec![(4, anna()), (7, bo())],
            ),
            ("ok/csv_header_only", Csv, format!("{HEADER}\n"), vec![]),
            (
                "ok/csv_header_only_no_newline",
                Csv,
                HEADER.to_owned(),
                vec![],
            ),
            (
                "ok/csv_quotes_everywhere",
                Csv,
                format!(
                    "{HEADER}\n\"010190-1234\",\"Anna\",\"Hansen\",\"Nørregade 1, 1165 København K\",\"resident\"\n"
                ),
                vec![(2, anna())],
            ),
            (
                "ok/csv_escaped_quote",
                Csv,
                format!("{HEADER}\n010190-1234,\"Anna \"\"Annie\"\"\",Hansen,Algade 1,deceased\n"),
                vec![(
                    2,
                    person(
                        "0101901234",
                        "Anna \"Annie\"",
                        "Hansen",
                        "Algade 1",
                        Residence::Deceased,
                    ),
                )],
            ),
            (
                "ok/jsonl",
                JsonLines,
                format!("{ANNA_JSON}\n{BO_JSON}\n"),
                vec![(1, anna()), (2, bo())],
            ),
            (
                "ok/jsonl_no_final_newline",
                JsonLines,
                ANNA_JSON.to_owned(),
                vec![(1, anna())],
            ),
            (
                "ok/jsonl_crlf",
                JsonLines,
                format!("{ANNA_JSON}\r\n{BO_JSON}\r\n"),
                vec![(1, anna()), (2, bo())],
            ),
            (
                "ok/jsonl_bom",
                JsonLines,
                format!("\u{feff}{ANNA_JSON}\n"),
                vec![(1, anna())],
            ),
            (
                "ok/jsonl_blank_lines",
                JsonLines,
                format!("\n  \n{ANNA_JSON}\n\t\r\n{BO_JSON}\n\n"),
                vec![(3, anna()), (5, bo())],
            ),
            ("ok/jsonl_empty", JsonLines, String::new(), vec![]),
            (
                "ok/limits",
                Csv,
                format!(
                    "{HEADER}\n0101901234,{},{},{},immigration-case\n",
                    "a".repeat(200),
                    "ø".repeat(200),
                    "x".repeat(400)
                ),
                vec![(
                    2,
                    person(
                        "0101901234",
                        &"a".repeat(200),
                        &"ø".repeat(200),
                        &"x".repeat(400),
                        Residence::ImmigrationCase,
                    ),
                )],
            ),
        ];
        for (name, format, input, want) in cases {
            assert_eq!(parse(input.as_bytes(), format), Ok(want), "{name}");
        }
    }

    #[test]
    fn fail_cases() {
        use ImportFormat::{Csv, JsonLines};
        let csv = |rows: &str| format!("{HEADER}\n{ANNA_CSV}\n{rows}\n").into_bytes();
        let jsonl = |line: &str| format!("{ANNA_JSON}\n\n{line}\n").into_bytes();
        let long = "a".repeat(201);
        // (name, format, input, line, field, start of message)
        type Case = (
            &'static str,
            ImportFormat,
            Vec<u8>,
            u64,
            Option<&'static str>,
            &'static str,
        );
        let cases: Vec<Case> = vec![
            (
                "fail/csv_empty_file",
                Csv,
                vec![],
                1,
                None,
                "wrong header: expected cpr,given_names,surname,address,residence",
            ),
            (
                "fail/csv_wrong_header",
                Csv,
                b"cpr,name,surname,address,residence\n".to_vec(),
                1,
                None,
                "wrong header",
            ),
            (
                "fail/csv_header_case",
                Csv,
                b"CPR,given_names,surname,address,residence\n".to_vec(),
                1,
                None,
                "wrong header",
            ),
            (
                "fail/csv_header_after_blank",
                Csv,
                format!("\n\n{ANNA_CSV}\n").into_bytes(),
                3,
                None,
                "wrong header",
            ),
            (
                "fail/csv_extra_column",
                Csv,
                csv("0202852345,Bo,Ørsted,Algade 2,resident,x"),
                3,
                None,
                "expected 5 columns",
            ),
            (
                "fail/csv_missing_column",
                Csv,
                csv("0202852345,Bo,Ørsted,resident"),
                3,
                None,
                "expected 5 columns (cpr,given_names,surname,address,residence), found 4",
            ),
            (
                "fail/cpr_format",
                Csv,
                csv("02028-2345,Bo,Ørsted,Algade 2,resident"),
                3,
                Some("cpr"),
                "not a CPR number: a CPR number is 10 digits",
            ),
            (
                "fail/cpr_letters",
                Csv,
                csv("02028X2345,Bo,Ørsted,Algade 2,resident"),
                3,
                Some("cpr"),
                "not a CPR number: a CPR number is 10 digits",
            ),
            (
                "fail/cpr_invalid_date",
                Csv,
                csv("310485-2345,Bo,Ørsted,Algade 2,resident"),
                3,
                Some("cpr"),
                "not a CPR number: the first six digits are not a real date",
            ),
            (
                "fail/cpr_future",
                Csv,
                csv("010150-5234,Bo,Ørsted,Algade 2,resident"),
                3,
                Some("cpr"),
                "not a CPR number: the birth date lies in the future",
            ),
            (
                "fail/cpr_empty",
                Csv,
                csv(" ,Bo,Ørsted,Algade 2,resident"),
                3,
                Some("cpr"),
                "empty",
            ),
            (
                "fail/given_names_empty",
                Csv,
                csv("0202852345,  ,Ørsted,Algade 2,resident"),
                3,
                Some("given_names"),
                "empty",
            ),
            (
                "fail/surname_too_long",
                Csv,
                csv(&format!("0202852345,Bo,{long},Algade 2,resident")),
                3,
                Some("surname"),
                "too long (max 200 characters)",
            ),
            (
                "fail/address_too_long",
                Csv,
                csv(&format!(
                    "0202852345,Bo,Ørsted,{},resident",
                    "x".repeat(401)
                )),
                3,
                Some("address"),
                "too long (max 400 characters)",
            ),
            (
                "fail/address_empty",
                Csv,
                csv("0202852345,Bo,Ørsted,,resident"),
                3,
                Some("address"),
                "empty",
            ),
            (
                "fail/control_character_tab",
                Csv,
                csv("0202852345,Bo\tErik,Ørsted,Algade 2,resident"),
                3,
                Some("given_names"),
                "contains a control character",
            ),
            (
                "fail/control_character_del",
                Csv,
                csv("0202852345,Bo,Ørsted,Algade\u{7f}2,resident"),
                3,
                Some("address"),
                "contains a control character",
            ),
            (
                "fail/bidi_override",
                Csv,
                csv("0202852345,Bo,\u{202e}detsrØ,Algade 2,resident"),
                3,
                Some("surname"),
                "contains a bidirectional-text control character",
            ),
            (
                "fail/csv_multiline_field_names_start_line",
                Csv,
                csv("0202852345,Bo,Ørsted,\"Algade 2\r\n1000 København\",resident"),
                3,
                Some("address"),
                "contains a control character",
            ),
            (
                "fail/residence_unknown",
                Csv,
                csv("0202852345,Bo,Ørsted,Algade 2,Resident"),
                3,
                Some("residence"),
                "residence must be one of resident, short-term, emigrated, deceased, immigration-case",
            ),
            (
                "fail/residence_empty",
                Csv,
                csv("0202852345,Bo,Ørsted,Algade 2,"),
                3,
                Some("residence"),
                "empty",
            ),
            (
                "fail/csv_duplicate",
                Csv,
                csv("\n0101901234,Anne,Hansen,Algade 3,resident"),
                4,
                Some("cpr"),
                "duplicate CPR number (first seen on line 2)",
            ),
            (
                "fail/csv_invalid_utf8",
                Csv,
                [
                    format!("{HEADER}\r\n{ANNA_CSV}\r\n0202852345,Bo,").as_bytes(),
                    b"\xc3\x28",
                    b",Algade 2,resident\r\n",
                ]
                .concat(),
                3,
                Some("surname"),
                "not valid UTF-8",
            ),
            (
                "fail/csv_row_too_long",
                Csv,
                csv(&format!(
                    "0202852345,Bo,Ørsted,\"{}\",resident",
                    "x".repeat(70_000)
                )),
                3,
                None,
                "row too long (max 65536 bytes)",
            ),
            (
                "fail/jsonl_number_instead_of_string",
                JsonLines,
                jsonl(
                    r#"{"cpr":202852345,"given_names":"Bo","surname":"Ørsted","address":"Algade 2","residence":"resident"}"#,
                ),
                3,
                Some("cpr"),
                "must be a string, found a number",
            ),
            (
                "fail/jsonl_null",
                JsonLines,
                jsonl(
                    r#"{"cpr":"0202852345","given_names":null,"surname":"Ørsted","address":"Algade 2","residence":"resident"}"#,
                ),
                3,
                Some("given_names"),
                "must be a string, found null",
            ),
            (
                "fail/jsonl_nested",
                JsonLines,
                jsonl(
                    r#"{"cpr":"0202852345","given_names":"Bo","surname":"Ørsted","address":{"street":"Algade 2"},"residence":"resident"}"#,
                ),
                3,
                Some("address"),
                "must be a string, found an object",
            ),
            (
                "fail/jsonl_unknown_member",
                JsonLines,
                jsonl(
                    r#"{"cpr":"0202852345","given_names":"Bo","surname":"Ørsted","address":"Algade 2","residence":"resident","age":40}"#,
                ),
                3,
                None,
                "unknown member \"age\" (allowed: cpr, given_names, surname, address, residence)",
            ),
            (
                "fail/jsonl_missing_member",
                JsonLines,
                jsonl(
                    r#"{"cpr":"0202852345","given_names":"Bo","address":"Algade 2","residence":"resident"}"#,
                ),
                3,
                Some("surname"),
                "missing",
            ),
            (
                "fail/jsonl_member_twice",
                JsonLines,
                jsonl(
                    r#"{"cpr":"0202852345","cpr":"0101901234","given_names":"Bo","surname":"Ørsted","address":"Algade 2","residence":"resident"}"#,
                ),
                3,
                Some("cpr"),
                "appears twice",
            ),
            (
                "fail/jsonl_not_object",
                JsonLines,
                jsonl(r#"["0202852345","Bo","Ørsted","Algade 2","resident"]"#),
                3,
                None,
                "expected a JSON object with members cpr, given_names, surname, address, residence, found an array",
            ),
            (
                "fail/jsonl_csv_given_as_jsonl",
                JsonLines,
                csv("").clone(),
                1,
                None,
                "not valid JSON",
            ),
            (
                "fail/jsonl_truncated",
                JsonLines,
                jsonl(r#"{"cpr":"0202852345","given_names":"Bo""#),
                3,
                None,
                "not valid JSON: EOF while parsing an object",
            ),
            (
                "fail/jsonl_two_objects_on_a_line",
                JsonLines,
                jsonl(&format!("{BO_JSON} {BO_JSON}")),
                3,
                None,
                "not valid JSON: trailing characters",
            ),
            (
                "fail/jsonl_invalid_utf8",
                JsonLines,
                [ANNA_JSON.as_bytes(), b"\n{\"cpr\":\"\xff\"}\n"].concat(),
                2,
                None,
                "not valid UTF-8 (byte 9 of the line)",
            ),
            (
                "fail/jsonl_cpr_invalid",
                JsonLines,
                jsonl(
                    r#"{"cpr":"0202852345x","given_names":"Bo","surname":"Ørsted","address":"Algade 2","residence":"resident"}"#,
                ),
                3,
                Some("cpr"),
                "not a CPR number",
            ),
            (
                "fail/jsonl_control_character_escaped",
                JsonLines,
                jsonl(
                    r#"{"cpr":"0202852345","given_names":"Bo","surname":"Ørsted","address":"Algade\n2","residence":"resident"}"#,
                ),
                3,
                Some("address"),
                "contains a control character",
            ),
            (
                "fail/jsonl_duplicate",
                JsonLines,
                jsonl(&ANNA_JSON.replace("010190-1234", "0101901234")),
                3,
                Some("cpr"),
                "duplicate CPR number (first seen on line 1)",
            ),
            (
                "fail/jsonl_line_too_long",
                JsonLines,
                jsonl(&"x".repeat(70_000)),
                3,
                None,
                "line too long (max 65536 bytes)",
            ),
        ];
        for (name, format, input, line, field, message) in cases {
            let err = parse(&input, format).expect_err(name);
            assert_eq!((err.line, err.field), (line, field), "{name}: {err}");
            assert!(err.message.starts_with(message), "{name}: {err}");
        }
    }

    #[test]
    fn fail_stops_at_first_error() {
        let input = format!("{HEADER}\n{ANNA_CSV}\nbad\n{BO_CSV}\n");
        let mut it = records(input.as_bytes(), ImportFormat::Csv, today());
        assert_eq!(it.next(), Some(Ok((2, anna()))));
        assert!(matches!(it.next(), Some(Err(ImportError { line: 3, .. }))));
        assert_eq!(it.next(), None);
        assert_eq!(it.next(), None);
    }

    #[test]
    fn fail_messages_do_not_repeat_values() {
        let secret = "Zebulon";
        let inputs: Vec<(ImportFormat, String)> = vec![
            (
                ImportFormat::Csv,
                format!("{HEADER}\n{secret},Bo,Ørsted,Algade 2,resident\n"),
            ),
            (
                ImportFormat::Csv,
                format!("{HEADER}\n0202852345,Bo,Ørsted,Algade 2,{secret}\n"),
            ),
            (
                ImportFormat::Csv,
                format!("{HEADER}\n0202852345,Bo,Ørsted,Algade 2\u{1}{secret},resident\n"),
            ),
            (ImportFormat::JsonLines, format!("\"{secret}\"\n")),
            (
                ImportFormat::JsonLines,
                format!("{{\"cpr\":\"{secret}\"}}\n"),
            ),
            (
                ImportFormat::JsonLines,
                format!("{{\"cpr\":[\"{secret}\"]}}\n"),
            ),
            (ImportFormat::JsonLines, format!("{{\"cpr\":\"{secret}\n")),
        ];
        for (format, input) in inputs {
            let err = parse(input.as_bytes(), format).unwrap_err();
            assert!(!err.to_string().contains(secret), "{err}");
        }
    }

    #[test]
    fn ok_display() {
        let with_field = ImportError::new(7, Some("cpr"), "empty");
        assert_eq!(with_field.to_string(), "line 7, field cpr: empty");
        let without = ImportError::new(1, None, HEADER_HINT);
        assert_eq!(
            without.to_string(),
            "line 1: wrong header: expected cpr,given_names,surname,address,residence"
        );
    }

    #[test]
    fn ok_format_from_path_and_sniff() {
        let cases = [
            ("people.csv", Some(ImportFormat::Csv)),
            ("people.CSV", Some(ImportFormat::Csv)),
            ("dir.d/people.jsonl", Some(ImportFormat::JsonLines)),
            ("people.ndjson", Some(ImportFormat::JsonLines)),
            ("people.json", Some(ImportFormat::JsonLines)),
            ("people.txt", None),
            ("people", None),
        ];
        for (path, want) in cases {
            assert_eq!(ImportFormat::from_path(Path::new(path)), want, "{path}");
        }
        let sniffs: [(&[u8], ImportFormat); 6] = [
            (b"{\"cpr\"", ImportFormat::JsonLines),
            (b"\xef\xbb\xbf\r\n  {", ImportFormat::JsonLines),
            (b"cpr,given_names", ImportFormat::Csv),
            (b"\xef\xbb\xbfcpr", ImportFormat::Csv),
            (b"", ImportFormat::Csv),
            (b"[{}]", ImportFormat::Csv),
        ];
        for (bytes, want) in sniffs {
            assert_eq!(ImportFormat::sniff(bytes), want, "{bytes:?}");
        }
    }

    #[test]
    fn ok_bom_split_over_reads() {
        // A reader that hands out one byte at a time.
        struct Trickle<'a>(&'a [u8]);
        impl Read for Trickle<'_> {
            fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
                let Some((first, rest)) = self.0.split_first() else {
                    return Ok(0);
                };
                if let Some(slot) = out.first_mut() {
                    *slot = *first;
                    self.0 = rest;
                    return Ok(1);
                }
                Ok(0)
            }
        }
        let csv = format!("\u{feff}{HEADER}\r\n\r\n{ANNA_CSV}\r\n{BO_CSV}");
        let got: Result<Vec<_>, _> =
            records(Trickle(csv.as_bytes()), ImportFormat::Csv, today()).collect();
        assert_eq!(got, Ok(vec![(3, anna()), (4, bo())]));
        let jsonl = format!("\u{feff}{ANNA_JSON}\r\n{BO_JSON}");
        let got: Result<Vec<_>, _> =
            records(Trickle(jsonl.as_bytes()), ImportFormat::JsonLines, today()).collect();
        assert_eq!(got, Ok(vec![(1, anna()), (2, bo())]));
    }

    fn valid_cpr() -> impl Strategy<Value = (String, Cpr)> {
        (
            1u8..=31,
            1u8..=12,
            0u8..=99,
            0u8..=9,
            0u16..=999,
            any::<bool>(),
        )
            .prop_filter_map("not a past date", |(d, m, yy, seventh, rest, dash)| {
                let dash = if dash { "-" } else { "" };
                let s = format!("{d:02}{m:02}{yy:02}{dash}{seventh}{rest:03}");
                Cpr::parse(&s, today()).ok().map(|c| (s, c))
            })
    }

    fn name() -> impl Strategy<Value = String> {
        "[A-Za-zÆØÅæøåé]([A-Za-zÆØÅæøåé' ,.\"{}:-]{0,30}[A-Za-zé])?"
    }

    fn valid_records() -> impl Strategy<Value = Vec<(String, PersonRecord)>> {
        let residence = prop::sample::select(Residence::ALL.to_vec());
        prop::collection::vec((valid_cpr(), name(), name(), name(), residence), 0..20).prop_map(
            |rows| {
                let mut seen = std::collections::HashSet::new();
                rows.into_iter()
                    .filter(|((_, cpr), ..)| seen.insert(*cpr))
                    .map(|((text, cpr), given_names, surname, address, residence)| {
                        let rec = PersonRecord {
                            cpr,
                            given_names,
                            surname,
                            address,
                            residence,
                        };
                        (text, rec)
                    })
                    .collect()
            },
        )
    }

    proptest! {
        #[test]
        fn prop_arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
            for format in [ImportFormat::Csv, ImportFormat::JsonLines] {
                for item in records(bytes.as_slice(), format, today()) {
                    if let Err(e) = item {
                        prop_assert!(e.line >= 1);
                    }
                }
            }
        }

        #[test]
        fn prop_csvish_and_jsonish_text_never_panics(
            body in "[0-9a-z,\"\r\n{}:\\[\\] -]{0,300}",
        ) {
            let csv = format!("{HEADER}\n{body}");
            let _ = records(csv.as_bytes(), ImportFormat::Csv, today()).count();
            let json = format!("{{\"cpr\":{body}");
            let _ = records(json.as_bytes(), ImportFormat::JsonLines, today()).count();
        }

        #[test]
        fn prop_valid_records_round_trip(rows in valid_records(), crlf in any::<bool>()) {
            let mut writer = csv::WriterBuilder::new()
                .terminator(if crlf { csv::Terminator::CRLF } else { csv::Terminator::Any(b'\n') })
                .from_writer(Vec::new());
            writer.write_record(FIELDS).unwrap();
            let mut jsonl = String::new();
            for (cpr, rec) in &rows {
                writer
                    .write_record([cpr.as_str(), &rec.given_names, &rec.surname, &rec.address, rec.residence.as_str()])
                    .unwrap();
                let obj = serde_json::json!({
                    "cpr": cpr,
                    "given_names": rec.given_names,
                    "surname": rec.surname,
                    "address": rec.address,
                    "residence": rec.residence.as_str(),
                });
                jsonl.push_str(&obj.to_string());
                jsonl.push('\n');
            }
            let csv = writer.into_inner().unwrap();

            let want_csv: Vec<_> = rows.iter().zip(2..).map(|((_, r), line)| (line, r.clone())).collect();
            prop_assert_eq!(parse(&csv, ImportFormat::Csv), Ok(want_csv));
            let want_json: Vec<_> = rows.iter().zip(1..).map(|((_, r), line)| (line, r.clone())).collect();
            prop_assert_eq!(parse(jsonl.as_bytes(), ImportFormat::JsonLines), Ok(want_json));
        }
    }

    /// `cargo test --release -p nyckel-core --lib population::tests::perf -- --ignored --nocapture`
    #[test]
    #[ignore = "performance check; run in release"]
    fn perf_one_million_rows() {
        const ROWS: u32 = 1_000_000;
        let mut csv = format!("{HEADER}\n");
        let mut jsonl = String::new();
        for i in 0..ROWS {
            // Distinct valid numbers: day/month/year from i, sequence from i.
            let cpr = format!(
                "{:02}{:02}{:02}-{}{:03}",
                i % 28 + 1,
                i / 28 % 12 + 1,
                i / 336 % 100,
                i / 33_600 % 4,
                i / 134_400,
            );
            csv.push_str(&format!(
                "{cpr},Anna Marie,Jørgensen,\"Nørregade {i}, 1165 København K\",resident\n"
            ));
            jsonl.push_str(&format!(
                "{{\"cpr\":\"{cpr}\",\"given_names\":\"Anna Marie\",\"surname\":\"Jørgensen\",\"address\":\"Nørregade {i}, 1165 København K\",\"residence\":\"resident\"}}\n"
            ));
        }
        for (format, input) in [(ImportFormat::Csv, &csv), (ImportFormat::JsonLines, &jsonl)] {
            let start = std::time::Instant::now();
            let mut n = 0u32;
            for item in records(input.as_bytes(), format, today()) {
                if let Err(e) = item {
                    panic!("{e}");
                }
                n += 1;
            }
            println!(
                "{format:?}: {n} rows, {} MB in {:?}",
                input.len() / 1_000_000,
                start.elapsed()
            );
            assert_eq!(n, ROWS);
        }
    }
}
