//! Who may get a key, with which identity documents, through which channel
//! (R-ENR-1, R-ENR-2, R-ENR-3, R-ENR-5).
//!
//! [`check_eligibility`] is a pure rule over an [`EnrollmentRequest`] that the
//! registration officer (or the online flow) has filled in from the population
//! register and the documents shown. It either returns [`Accepted`], naming
//! the document that satisfied the rule, or the first [`Refusal`] met, which
//! names its requirement and tells the person what to do.

use std::fmt;
use std::str::FromStr;

use nyckel_cpr::{Cpr, Date, Residence};
use serde::{Deserialize, Serialize};

/// Minimum age on the day of enrollment (R-ENR-1; law no. 439 of 2018 §4).
pub const MINIMUM_AGE: u32 = 15;

/// Minimum age of a witness at a citizen service centre.
pub const WITNESS_MINIMUM_AGE: u32 = 18;

/// An identity document shown at enrollment (R-ENR-2).
///
/// Named in kebab-case on the command line, in configuration and in JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DocumentKind {
    /// A Danish passport (not provisional).
    DanishPassport,
    /// Another country's passport (not provisional); needs the yellow health card too.
    ForeignPassport,
    /// A provisional (emergency) passport, Danish or foreign: never accepted.
    /// Named so that it can be refused with a reason.
    ProvisionalPassport,
    /// A Danish driving licence (*kørekort*).
    DanishDrivingLicence,
    /// A driving licence from another EU/EEA country; needs the yellow health card too.
    EuEeaDrivingLicence,
    /// A Greenland driving licence; needs the yellow health card too.
    GreenlandDrivingLicence,
    /// A Faroe Islands driving licence; needs the yellow health card too.
    FaroeDrivingLicence,
    /// The digital Danish driving licence in the *Kørekort* app.
    DigitalDrivingLicence,
    /// A Danish moped licence (*knallertkørekort*) of the credit-card type.
    DanishMopedLicence,
    /// A Danish residence permit (*opholdskort*) with a photo.
    DanishResidencePermit,
    /// A Danish police ID card (*politiets legitimationskort*).
    DanishPoliceIdCard,
    /// A Danish bank's ID card.
    DanishBankIdCard,
    /// A photo ID card issued by a public authority of the home country that
    /// is valid as a travel document in the Schengen area.
    NationalIdCard,
    /// A NATO passport (NATO travel order / ID).
    NatoPassport,
    /// A Danish military ID card.
    DanishMilitaryIdCard,
    /// The yellow Danish health insurance card (*sundhedskort*): supporting
    /// only, never enough alone.
    YellowHealthCard,
}

impl DocumentKind {
    pub const ALL: [DocumentKind; 16] = [
        DocumentKind::DanishPassport,
        DocumentKind::ForeignPassport,
        DocumentKind::ProvisionalPassport,
        DocumentKind::DanishDrivingLicence,
        DocumentKind::EuEeaDrivingLicence,
        DocumentKind::GreenlandDrivingLicence,
        DocumentKind::FaroeDrivingLicence,
        DocumentKind::DigitalDrivingLicence,
        DocumentKind::DanishMopedLicence,
        DocumentKind::DanishResidencePermit,
        DocumentKind::DanishPoliceIdCard,
        DocumentKind::DanishBankIdCard,
        DocumentKind::NationalIdCard,
        DocumentKind::NatoPassport,
        DocumentKind::DanishMilitaryIdCard,
        DocumentKind::YellowHealthCard,
    ];

    /// The kebab-case name, the same as the serde form.
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentKind::DanishPassport => "danish-passport",
            DocumentKind::ForeignPassport => "foreign-passport",
            DocumentKind::ProvisionalPassport => "provisional-passport",
            DocumentKind::DanishDrivingLicence => "danish-driving-licence",
            DocumentKind::EuEeaDrivingLicence => "eu-eea-driving-licence",
            DocumentKind::GreenlandDrivingLicence => "greenland-driving-licence",
            DocumentKind::FaroeDrivingLicence => "faroe-driving-licence",
            DocumentKind::DigitalDrivingLicence => "digital-driving-licence",
            DocumentKind::DanishMopedLicence => "danish-moped-licence",
            DocumentKind::DanishResidencePermit => "danish-residence-permit",
            DocumentKind::DanishPoliceIdCard => "danish-police-id-card",
            DocumentKind::DanishBankIdCard => "danish-bank-id-card",
            DocumentKind::NationalIdCard => "national-id-card",
            DocumentKind::NatoPassport => "nato-passport",
            DocumentKind::DanishMilitaryIdCard => "danish-military-id-card",
            DocumentKind::YellowHealthCard => "yellow-health-card",
        }
    }

    /// One line in English, for `--help` and the officer's screen.
    pub fn description(self) -> &'static str {
        match self {
            DocumentKind::DanishPassport => "Danish passport (not provisional)",
            DocumentKind::ForeignPassport => {
                "passport of another country (not provisional); needs the yellow health card too"
            }
            DocumentKind::ProvisionalPassport => "provisional passport: not accepted",
            DocumentKind::DanishDrivingLicence => "Danish driving licence",
            DocumentKind::EuEeaDrivingLicence => {
                "driving licence from another EU/EEA country; needs the yellow health card too"
            }
            DocumentKind::GreenlandDrivingLicence => {
                "Greenland driving licence; needs the yellow health card too"
            }
            DocumentKind::FaroeDrivingLicence => {
                "Faroe Islands driving licence; needs the yellow health card too"
            }
            DocumentKind::DigitalDrivingLicence => "digital driving licence in the Kørekort app",
            DocumentKind::DanishMopedLicence => "Danish moped licence (credit-card type)",
            DocumentKind::DanishResidencePermit => "Danish residence permit with photo",
            DocumentKind::DanishPoliceIdCard => "Danish police ID card",
            DocumentKind::DanishBankIdCard => "Danish bank's ID card",
            DocumentKind::NationalIdCard => {
                "national photo ID card of the home country, valid as a Schengen travel document"
            }
            DocumentKind::NatoPassport => "NATO passport",
            DocumentKind::DanishMilitaryIdCard => "Danish military ID card",
            DocumentKind::YellowHealthCard => {
                "yellow Danish health insurance card: supporting only, never enough alone"
            }
        }
    }

    /// Whether the document can prove identity on its own or with the health
    /// card: everything except the health card itself and a provisional passport.
    pub fn is_primary(self) -> bool {
        !matches!(
            self,
            DocumentKind::YellowHealthCard | DocumentKind::ProvisionalPassport
        )
    }

    /// Non-Danish passports and non-Danish driving licences count only
    /// together with the yellow health card (R-ENR-2).
    pub fn needs_health_card(self) -> bool {
        matches!(
            self,
            DocumentKind::ForeignPassport
                | DocumentKind::EuEeaDrivingLicence
                | DocumentKind::GreenlandDrivingLicence
                | DocumentKind::FaroeDrivingLicence
        )
    }

    /// A Danish passport or Danish driving licence (the app one included):
    /// the only documents accepted online from abroad (R-ENR-3c).
    pub fn accepted_online_abroad(self) -> bool {
        matches!(
            self,
            DocumentKind::DanishPassport
                | DocumentKind::DanishDrivingLicence
                | DocumentKind::DigitalDrivingLicence
        )
    }
}

impl fmt::Display for DocumentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not one of [`DocumentKind::ALL`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownDocumentKind;

impl fmt::Display for UnknownDocumentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("document must be one of ")?;
        for (i, d) in DocumentKind::ALL.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(d.as_str())?;
        }
        Ok(())
    }
}

impl std::error::Error for UnknownDocumentKind {}

impl FromStr for DocumentKind {
    type Err = UnknownDocumentKind;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DocumentKind::ALL
            .into_iter()
            .find(|d| d.as_str() == s)
            .ok_or(UnknownDocumentKind)
    }
}

/// Where the enrollment takes place (R-ENR-3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Channel {
    /// A citizen service centre (*borgerservice*), by appointment, ID in person.
    ServiceCentre,
    /// A bank, as part of an online-banking agreement.
    Bank,
    /// Online from abroad, with a Danish passport or Danish driving licence.
    OnlineAbroad,
}

impl Channel {
    pub const ALL: [Channel; 3] = [Channel::ServiceCentre, Channel::Bank, Channel::OnlineAbroad];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::ServiceCentre => "service-centre",
            Channel::Bank => "bank",
            Channel::OnlineAbroad => "online-abroad",
        }
    }

    /// One line in English, for `--help`.
    pub fn description(self) -> &'static str {
        match self {
            Channel::ServiceCentre => "at a citizen service centre, by appointment, ID in person",
            Channel::Bank => "at a bank, as part of an online-banking agreement",
            Channel::OnlineAbroad => {
                "online from abroad, with a Danish passport or Danish driving licence"
            }
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not one of [`Channel::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("channel must be one of service-centre, bank, online-abroad")]
pub struct UnknownChannel;

impl FromStr for Channel {
    type Err = UnknownChannel;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Channel::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or(UnknownChannel)
    }
}

/// A person who confirms a short-term resident's identity in a sworn
/// statement at a citizen service centre (R-ENR-3a).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Witness {
    pub cpr: Cpr,
    /// Whether the population register knows the witness's CPR number.
    pub known_in_register: bool,
    /// The witness's residence status in the register, if known.
    pub residence: Option<Residence>,
    /// The witness's age on the day of enrollment.
    pub age: u32,
    /// Whether the witness signed the sworn statement (*tro og love-erklæring*).
    pub sworn_statement: bool,
}

/// Everything [`check_eligibility`] needs: facts from the population register,
/// the documents the officer saw, and today's date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrollmentRequest {
    /// The applicant's birth date as the register has it.
    pub birth_date: Date,
    /// The applicant's residence status in the register.
    pub residence: Residence,
    /// Whether this person already holds an active identity (R-ENR-5).
    pub has_active_identity: bool,
    pub channel: Channel,
    pub documents: Vec<DocumentKind>,
    pub witness: Option<Witness>,
    pub applicant_cpr: Cpr,
    pub today: Date,
}

/// The request meets the rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Accepted {
    /// The primary document that satisfied the document and channel rules.
    pub document: DocumentKind,
    /// Whether a witness's sworn statement was relied on.
    pub witness_used: bool,
}

/// Why enrollment is refused. [`Refusal::rule`] names the requirement; the
/// Display text tells the person why and what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    #[error(
        "You must be at least 15 years old to get a key; you are {age}. You can apply from your 15th birthday."
    )]
    Underage { age: u32 },
    #[error("The population register lists this person as deceased. No key can be issued.")]
    Deceased,
    #[error(
        "The population register lists you as emigrated. Register your move to Denmark at the citizen service centre, then apply again."
    )]
    Emigrated,
    #[error(
        "You have an open immigration case. You can apply once the immigration authorities have decided your case and you are registered as resident."
    )]
    ImmigrationCase,
    /// Not produced by [`check_eligibility`] today: every [`Residence`]
    /// status is either lawful or has its own variant. For callers whose
    /// source gives no residence status (e.g. a person missing from the
    /// register).
    #[error(
        "You are not registered as lawfully resident in Denmark. Contact the citizen service centre about your registration."
    )]
    ResidenceNotLawful,
    #[error(
        "You already have an active key; a person can hold only one. If you have lost it, block it and order a new activation code instead."
    )]
    AlreadyHasIdentity,
    #[error(
        "No identity document was shown. Bring a valid passport, driving licence or other accepted photo ID."
    )]
    NoDocument,
    #[error(
        "A provisional passport is not accepted. Bring an ordinary passport, a driving licence or other accepted photo ID."
    )]
    ProvisionalPassportNotAccepted,
    #[error(
        "The yellow health card is not enough on its own. Bring it together with a passport, driving licence or other accepted photo ID."
    )]
    OnlyHealthCard,
    #[error(
        "A {} is accepted only together with the yellow health card. Bring both.",
        .document.description_short()
    )]
    NeedsYellowHealthCard { document: DocumentKind },
    #[error(
        "Online from abroad you need a Danish passport or a Danish driving licence (the Kørekort app counts). Otherwise apply at a citizen service centre or your bank."
    )]
    OnlineAbroadNeedsDanishPassportOrLicence,
    #[error(
        "You are registered as staying only a short period, so you must bring a witness who confirms your identity in a sworn statement."
    )]
    ShortTermNeedsWitness,
    #[error("Your witness must sign the sworn statement confirming your identity.")]
    WitnessNotSworn,
    #[error("You cannot be your own witness. Bring another person who knows you.")]
    WitnessIsApplicant,
    #[error(
        "Your witness is not found in the population register. The witness must have a Danish CPR number."
    )]
    WitnessNotInRegister,
    #[error("Your witness must be an adult (18 or older) who is resident in Denmark.")]
    WitnessNotEligible,
    #[error(
        "A witness can confirm identity only at a citizen service centre. Book an appointment there."
    )]
    WitnessNotAllowedOnChannel,
}

impl DocumentKind {
    /// The document named for a sentence ("A foreign passport is …").
    fn description_short(self) -> &'static str {
        match self {
            DocumentKind::DanishPassport => "Danish passport",
            DocumentKind::ForeignPassport => "non-Danish passport",
            DocumentKind::ProvisionalPassport => "provisional passport",
            DocumentKind::DanishDrivingLicence => "Danish driving licence",
            DocumentKind::EuEeaDrivingLicence => "driving licence from another EU/EEA country",
            DocumentKind::GreenlandDrivingLicence => "Greenland driving licence",
            DocumentKind::FaroeDrivingLicence => "Faroe Islands driving licence",
            DocumentKind::DigitalDrivingLicence => "digital driving licence",
            DocumentKind::DanishMopedLicence => "Danish moped licence",
            DocumentKind::DanishResidencePermit => "Danish residence permit",
            DocumentKind::DanishPoliceIdCard => "Danish police ID card",
            DocumentKind::DanishBankIdCard => "Danish bank ID card",
            DocumentKind::NationalIdCard => "national ID card",
            DocumentKind::NatoPassport => "NATO passport",
            DocumentKind::DanishMilitaryIdCard => "Danish military ID card",
            DocumentKind::YellowHealthCard => "yellow health card",
        }
    }
}

impl Refusal {
    /// The requirement and rule that refused, e.g. `"R-ENR-1 minimum age"`:
    /// for audit records and the officer's screen.
    pub fn rule(&self) -> &'static str {
        match self {
            Refusal::Underage { .. } => "R-ENR-1 minimum age",
            Refusal::Deceased => "R-ENR-1 deceased",
            Refusal::Emigrated => "R-ENR-1 emigrated",
            Refusal::ImmigrationCase => "R-ENR-1 open immigration case",
            Refusal::ResidenceNotLawful => "R-ENR-1 lawful residence",
            Refusal::AlreadyHasIdentity => "R-ENR-5 one active identity per person",
            Refusal::NoDocument => "R-ENR-2 identity document required",
            Refusal::ProvisionalPassportNotAccepted => "R-ENR-2 provisional passport",
            Refusal::OnlyHealthCard => "R-ENR-2 health card is supporting only",
            Refusal::NeedsYellowHealthCard { .. } => {
                "R-ENR-2 non-Danish document needs health card"
            }
            Refusal::OnlineAbroadNeedsDanishPassportOrLicence => {
                "R-ENR-3c online from abroad needs Danish passport or driving licence"
            }
            Refusal::ShortTermNeedsWitness => "R-ENR-3a short-term resident needs witness",
            Refusal::WitnessNotSworn => "R-ENR-3a witness sworn statement",
            Refusal::WitnessIsApplicant => "R-ENR-3a witness is another person",
            Refusal::WitnessNotInRegister => "R-ENR-3a witness in population register",
            Refusal::WitnessNotEligible => "R-ENR-3a witness resident adult",
            Refusal::WitnessNotAllowedOnChannel => "R-ENR-3a witness only at service centre",
        }
    }
}

/// Checks R-ENR-1..3 and R-ENR-5, in this order, and returns the first
/// refusal met: an existing identity; death, emigration or an open
/// immigration case; the minimum age on `today` (the 15th birthday counts;
/// someone born on 29 February turns 15 on 1 March in a common year); the
/// documents; the channel; the witness.
///
/// A witness is checked only where one is needed (a short-term resident at a
/// citizen service centre); one offered to a resident there is not relied on.
/// A witness offered through another channel is refused, as only a service
/// centre can take a sworn statement.
pub fn check_eligibility(req: &EnrollmentRequest) -> Result<Accepted, Refusal> {
    if req.has_active_identity {
        return Err(Refusal::AlreadyHasIdentity);
    }
    check_residence(req.residence)?;
    let age = req.birth_date.age_on(req.today);
    if age < MINIMUM_AGE {
        return Err(Refusal::Underage { age });
    }
    let satisfying = documents_satisfying(&req.documents)?;
    let document = match req.channel {
        Channel::OnlineAbroad => satisfying
            .into_iter()
            .find(|d| d.accepted_online_abroad())
            .ok_or(Refusal::OnlineAbroadNeedsDanishPassportOrLicence)?,
        Channel::ServiceCentre | Channel::Bank => {
            satisfying.first().copied().ok_or(Refusal::NoDocument)?
        }
    };
    let witness_used = check_witness(req)?;
    Ok(Accepted {
        document,
        witness_used,
    })
}

/// Lawful residence: resident or short-term; every other status refuses with
/// its own reason.
fn check_residence(residence: Residence) -> Result<(), Refusal> {
    match residence {
        Residence::Resident | Residence::ShortTerm => Ok(()),
        Residence::Deceased => Err(Refusal::Deceased),
        Residence::Emigrated => Err(Refusal::Emigrated),
        Residence::ImmigrationCase => Err(Refusal::ImmigrationCase),
    }
}

/// The primary documents that satisfy R-ENR-2 given what else was shown, in
/// the order shown, those that stand alone first. Never empty when `Ok`.
fn documents_satisfying(documents: &[DocumentKind]) -> Result<Vec<DocumentKind>, Refusal> {
    let primaries: Vec<DocumentKind> = documents
        .iter()
        .copied()
        .filter(|d| d.is_primary())
        .collect();
    if primaries.is_empty() {
        return Err(if documents.contains(&DocumentKind::ProvisionalPassport) {
            Refusal::ProvisionalPassportNotAccepted
        } else if documents.contains(&DocumentKind::YellowHealthCard) {
            Refusal::OnlyHealthCard
        } else {
            Refusal::NoDocument
        });
    }
    let has_health_card = documents.contains(&DocumentKind::YellowHealthCard);
    let (alone, with_card): (Vec<DocumentKind>, Vec<DocumentKind>) =
        primaries.iter().partition(|d| !d.needs_health_card());
    if let (None, Some(&document), false) = (alone.first(), with_card.first(), has_health_card) {
        return Err(Refusal::NeedsYellowHealthCard { document });
    }
    let mut satisfying = alone;
    if has_health_card {
        satisfying.extend(with_card);
    }
    Ok(satisfying)
}

/// R-ENR-3a. Returns whether the witness was relied on.
fn check_witness(req: &EnrollmentRequest) -> Result<bool, Refusal> {
    match (req.channel, &req.witness) {
        (Channel::Bank | Channel::OnlineAbroad, Some(_)) => {
            Err(Refusal::WitnessNotAllowedOnChannel)
        }
        (Channel::Bank | Channel::OnlineAbroad, None) => Ok(false),
        (Channel::ServiceCentre, _) if req.residence != Residence::ShortTerm => Ok(false),
        (Channel::ServiceCentre, None) => Err(Refusal::ShortTermNeedsWitness),
        (Channel::ServiceCentre, Some(w)) => {
            if w.cpr == req.applicant_cpr {
                Err(Refusal::WitnessIsApplicant)
            } else if !w.known_in_register {
                Err(Refusal::WitnessNotInRegister)
            } else if w.residence != Some(Residence::Resident) || w.age < WITNESS_MINIMUM_AGE {
                Err(Refusal::WitnessNotEligible)
            } else if !w.sworn_statement {
                Err(Refusal::WitnessNotSworn)
            } else {
                Ok(true)
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap (no clippy.toml allows it in tests yet)
mod tests {
    use super::*;
    use DocumentKind as D;

    fn date(y: i32, m: u8, d: u8) -> Date {
        Date::new(y, m, d).unwrap()
    }

    fn today() -> Date {
        date(2026, 6, 15)
    }

    fn applicant() -> Cpr {
        Cpr::parse("150690-1235", today()).unwrap()
    }

    fn witness() -> Witness {
        Witness {
            cpr: Cpr::parse("010170-1234", today()).unwrap(),
            known_in_register: true,
            residence: Some(Residence::Resident),
            age: 56,
            sworn_statement: true,
        }
    }

    /// A resident adult at a service centre with a Danish passport.
    fn base() -> EnrollmentRequest {
        EnrollmentRequest {
            birth_date: date(1990, 6, 15),
            residence: Residence::Resident,
            has_active_identity: false,
            channel: Channel::ServiceCentre,
            documents: vec![D::DanishPassport],
            witness: None,
            applicant_cpr: applicant(),
            today: today(),
        }
    }

    fn with(f: impl FnOnce(&mut EnrollmentRequest)) -> EnrollmentRequest {
        let mut r = base();
        f(&mut r);
        r
    }

    fn ok(document: DocumentKind, witness_used: bool) -> Result<Accepted, Refusal> {
        Ok(Accepted {
            document,
            witness_used,
        })
    }

    #[test]
    fn cases() {
        let short_term_at_centre = |r: &mut EnrollmentRequest| {
            r.residence = Residence::ShortTerm;
            r.witness = Some(witness());
        };
        let cases: Vec<(&str, EnrollmentRequest, Result<Accepted, Refusal>)> = vec![
            (
                "ok/danish-passport-service-centre",
                base(),
                ok(D::DanishPassport, false),
            ),
            (
                "ok/fifteenth-birthday-today",
                with(|r| r.birth_date = date(2011, 6, 15)),
                ok(D::DanishPassport, false),
            ),
            (
                "fail/day-before-fifteenth-birthday",
                with(|r| r.birth_date = date(2011, 6, 16)),
                Err(Refusal::Underage { age: 14 }),
            ),
            (
                "fail/leap-day-birthday-on-28-february",
                with(|r| {
                    r.birth_date = date(2008, 2, 29);
                    r.today = date(2023, 2, 28);
                }),
                Err(Refusal::Underage { age: 14 }),
            ),
            (
                "ok/leap-day-birthday-on-1-march",
                with(|r| {
                    r.birth_date = date(2008, 2, 29);
                    r.today = date(2023, 3, 1);
                }),
                ok(D::DanishPassport, false),
            ),
            (
                "ok/leap-day-birthday-on-29-february",
                with(|r| {
                    r.birth_date = date(2008, 2, 29);
                    r.today = date(2024, 2, 29);
                }),
                ok(D::DanishPassport, false),
            ),
            (
                "fail/newborn",
                with(|r| r.birth_date = today()),
                Err(Refusal::Underage { age: 0 }),
            ),
            (
                "fail/already-has-identity",
                with(|r| r.has_active_identity = true),
                Err(Refusal::AlreadyHasIdentity),
            ),
            (
                "fail/already-has-identity-checked-first",
                with(|r| {
                    r.has_active_identity = true;
                    r.residence = Residence::Deceased;
                    r.documents.clear();
                }),
                Err(Refusal::AlreadyHasIdentity),
            ),
            (
                "fail/deceased",
                with(|r| r.residence = Residence::Deceased),
                Err(Refusal::Deceased),
            ),
            (
                "fail/emigrated",
                with(|r| r.residence = Residence::Emigrated),
                Err(Refusal::Emigrated),
            ),
            (
                "fail/immigration-case",
                with(|r| r.residence = Residence::ImmigrationCase),
                Err(Refusal::ImmigrationCase),
            ),
            (
                "fail/residence-before-age",
                with(|r| {
                    r.residence = Residence::Emigrated;
                    r.birth_date = date(2020, 1, 1);
                }),
                Err(Refusal::Emigrated),
            ),
            (
                "fail/age-before-documents",
                with(|r| {
                    r.birth_date = date(2020, 1, 1);
                    r.documents.clear();
                }),
                Err(Refusal::Underage { age: 6 }),
            ),
            (
                "fail/no-document",
                with(|r| r.documents.clear()),
                Err(Refusal::NoDocument),
            ),
            (
                "fail/provisional-passport",
                with(|r| r.documents = vec![D::ProvisionalPassport]),
                Err(Refusal::ProvisionalPassportNotAccepted),
            ),
            (
                "fail/provisional-passport-with-health-card",
                with(|r| r.documents = vec![D::ProvisionalPassport, D::YellowHealthCard]),
                Err(Refusal::ProvisionalPassportNotAccepted),
            ),
            (
                "ok/provisional-passport-ignored-beside-licence",
                with(|r| r.documents = vec![D::ProvisionalPassport, D::DanishDrivingLicence]),
                ok(D::DanishDrivingLicence, false),
            ),
            (
                "fail/only-health-card",
                with(|r| r.documents = vec![D::YellowHealthCard]),
                Err(Refusal::OnlyHealthCard),
            ),
            (
                "fail/foreign-passport-without-health-card",
                with(|r| r.documents = vec![D::ForeignPassport]),
                Err(Refusal::NeedsYellowHealthCard {
                    document: D::ForeignPassport,
                }),
            ),
            (
                "fail/eu-eea-licence-without-health-card",
                with(|r| r.documents = vec![D::EuEeaDrivingLicence]),
                Err(Refusal::NeedsYellowHealthCard {
                    document: D::EuEeaDrivingLicence,
                }),
            ),
            (
                "fail/greenland-licence-without-health-card",
                with(|r| r.documents = vec![D::GreenlandDrivingLicence]),
                Err(Refusal::NeedsYellowHealthCard {
                    document: D::GreenlandDrivingLicence,
                }),
            ),
            (
                "fail/faroe-licence-without-health-card",
                with(|r| r.documents = vec![D::FaroeDrivingLicence, D::ForeignPassport]),
                Err(Refusal::NeedsYellowHealthCard {
                    document: D::FaroeDrivingLicence,
                }),
            ),
            (
                "ok/foreign-passport-and-health-card-service-centre",
                with(|r| r.documents = vec![D::ForeignPassport, D::YellowHealthCard]),
                ok(D::ForeignPassport, false),
            ),
            (
                "ok/health-card-first-then-eu-eea-licence",
                with(|r| r.documents = vec![D::YellowHealthCard, D::EuEeaDrivingLicence]),
                ok(D::EuEeaDrivingLicence, false),
            ),
            (
                "ok/standalone-document-preferred-over-one-needing-card",
                with(|r| {
                    r.documents = vec![D::ForeignPassport, D::YellowHealthCard, D::NationalIdCard]
                }),
                ok(D::NationalIdCard, false),
            ),
            (
                "ok/foreign-passport-without-card-beside-standalone-document",
                with(|r| r.documents = vec![D::ForeignPassport, D::DanishResidencePermit]),
                ok(D::DanishResidencePermit, false),
            ),
            (
                "ok/bank",
                with(|r| {
                    r.channel = Channel::Bank;
                    r.documents = vec![D::DanishBankIdCard];
                }),
                ok(D::DanishBankIdCard, false),
            ),
            (
                "ok/danish-passport-online-abroad",
                with(|r| r.channel = Channel::OnlineAbroad),
                ok(D::DanishPassport, false),
            ),
            (
                "ok/danish-driving-licence-online-abroad",
                with(|r| {
                    r.channel = Channel::OnlineAbroad;
                    r.documents = vec![D::DanishDrivingLicence];
                }),
                ok(D::DanishDrivingLicence, false),
            ),
            (
                "ok/digital-driving-licence-online-abroad",
                with(|r| {
                    r.channel = Channel::OnlineAbroad;
                    r.documents = vec![D::DigitalDrivingLicence];
                }),
                ok(D::DigitalDrivingLicence, false),
            ),
            (
                "ok/online-abroad-picks-the-danish-document",
                with(|r| {
                    r.channel = Channel::OnlineAbroad;
                    r.documents = vec![D::NationalIdCard, D::DanishPassport];
                }),
                ok(D::DanishPassport, false),
            ),
            (
                "fail/foreign-passport-online-abroad",
                with(|r| {
                    r.channel = Channel::OnlineAbroad;
                    r.documents = vec![D::ForeignPassport, D::YellowHealthCard];
                }),
                Err(Refusal::OnlineAbroadNeedsDanishPassportOrLicence),
            ),
            (
                "fail/moped-licence-online-abroad",
                with(|r| {
                    r.channel = Channel::OnlineAbroad;
                    r.documents = vec![D::DanishMopedLicence];
                }),
                Err(Refusal::OnlineAbroadNeedsDanishPassportOrLicence),
            ),
            (
                "fail/foreign-passport-online-abroad-document-rule-first",
                with(|r| {
                    r.channel = Channel::OnlineAbroad;
                    r.documents = vec![D::ForeignPassport];
                }),
                Err(Refusal::NeedsYellowHealthCard {
                    document: D::ForeignPassport,
                }),
            ),
            (
                "ok/short-term-service-centre-with-witness",
                with(short_term_at_centre),
                ok(D::DanishPassport, true),
            ),
            (
                "ok/short-term-at-bank-needs-no-witness",
                with(|r| {
                    r.residence = Residence::ShortTerm;
                    r.channel = Channel::Bank;
                }),
                ok(D::DanishPassport, false),
            ),
            (
                "ok/short-term-online-abroad-needs-no-witness",
                with(|r| {
                    r.residence = Residence::ShortTerm;
                    r.channel = Channel::OnlineAbroad;
                }),
                ok(D::DanishPassport, false),
            ),
            (
                "ok/resident-with-unneeded-witness-not-relied-on",
                with(|r| {
                    r.witness = Some(Witness {
                        sworn_statement: false,
                        ..witness()
                    })
                }),
                ok(D::DanishPassport, false),
            ),
            (
                "fail/short-term-service-centre-without-witness",
                with(|r| r.residence = Residence::ShortTerm),
                Err(Refusal::ShortTermNeedsWitness),
            ),
            (
                "fail/witness-not-sworn",
                with(|r| {
                    short_term_at_centre(r);
                    r.witness = Some(Witness {
                        sworn_statement: false,
                        ..witness()
                    });
                }),
                Err(Refusal::WitnessNotSworn),
            ),
            (
                "fail/witness-is-applicant",
                with(|r| {
                    short_term_at_centre(r);
                    r.witness = Some(Witness {
                        cpr: applicant(),
                        ..witness()
                    });
                }),
                Err(Refusal::WitnessIsApplicant),
            ),
            (
                "fail/witness-not-in-register",
                with(|r| {
                    short_term_at_centre(r);
                    r.witness = Some(Witness {
                        known_in_register: false,
                        residence: None,
                        ..witness()
                    });
                }),
                Err(Refusal::WitnessNotInRegister),
            ),
            (
                "fail/witness-under-18",
                with(|r| {
                    short_term_at_centre(r);
                    r.witness = Some(Witness {
                        age: 17,
                        ..witness()
                    });
                }),
                Err(Refusal::WitnessNotEligible),
            ),
            (
                "ok/witness-exactly-18",
                with(|r| {
                    short_term_at_centre(r);
                    r.witness = Some(Witness {
                        age: 18,
                        ..witness()
                    });
                }),
                ok(D::DanishPassport, true),
            ),
            (
                "fail/witness-short-term-resident",
                with(|r| {
                    short_term_at_centre(r);
                    r.witness = Some(Witness {
                        residence: Some(Residence::ShortTerm),
                        ..witness()
                    });
                }),
                Err(Refusal::WitnessNotEligible),
            ),
            (
                "fail/witness-emigrated",
                with(|r| {
                    short_term_at_centre(r);
                    r.witness = Some(Witness {
                        residence: Some(Residence::Emigrated),
                        ..witness()
                    });
                }),
                Err(Refusal::WitnessNotEligible),
            ),
            (
                "fail/witness-residence-unknown",
                with(|r| {
                    short_term_at_centre(r);
                    r.witness = Some(Witness {
                        residence: None,
                        ..witness()
                    });
                }),
                Err(Refusal::WitnessNotEligible),
            ),
            (
                "fail/witness-at-bank",
                with(|r| {
                    r.channel = Channel::Bank;
                    r.witness = Some(witness());
                }),
                Err(Refusal::WitnessNotAllowedOnChannel),
            ),
            (
                "fail/witness-online-abroad",
                with(|r| {
                    r.channel = Channel::OnlineAbroad;
                    r.witness = Some(witness());
                }),
                Err(Refusal::WitnessNotAllowedOnChannel),
            ),
            (
                "fail/documents-before-witness",
                with(|r| {
                    r.residence = Residence::ShortTerm;
                    r.documents = vec![D::YellowHealthCard];
                }),
                Err(Refusal::OnlyHealthCard),
            ),
        ];
        for (name, req, want) in cases {
            assert_eq!(check_eligibility(&req), want, "{name}");
        }
    }

    #[test]
    fn ok_every_primary_document_alone_or_with_health_card() {
        for d in DocumentKind::ALL.into_iter().filter(|d| d.is_primary()) {
            let docs = if d.needs_health_card() {
                vec![d, D::YellowHealthCard]
            } else {
                vec![d]
            };
            let req = with(|r| r.documents = docs);
            assert_eq!(check_eligibility(&req), ok(d, false), "{d}");
        }
    }

    #[test]
    fn ok_document_names_round_trip() {
        for d in DocumentKind::ALL {
            assert_eq!(d.as_str().parse::<DocumentKind>(), Ok(d));
            assert_eq!(
                serde_json::to_string(&d).unwrap(),
                format!("\"{}\"", d.as_str())
            );
            assert_eq!(
                serde_json::from_str::<DocumentKind>(&format!("\"{d}\"")).unwrap(),
                d
            );
            assert!(!d.description().is_empty());
        }
        for c in Channel::ALL {
            assert_eq!(c.as_str().parse::<Channel>(), Ok(c));
            assert_eq!(
                serde_json::to_string(&c).unwrap(),
                format!("\"{}\"", c.as_str())
            );
            assert!(!c.description().is_empty());
        }
    }

    #[test]
    fn fail_unknown_names() {
        assert_eq!("passport".parse::<DocumentKind>(), Err(UnknownDocumentKind));
        assert_eq!(
            "Danish-Passport".parse::<DocumentKind>(),
            Err(UnknownDocumentKind)
        );
        assert!(
            UnknownDocumentKind
                .to_string()
                .contains("yellow-health-card")
        );
        assert_eq!("post".parse::<Channel>(), Err(UnknownChannel));
        assert!(serde_json::from_str::<Channel>("\"Bank\"").is_err());
    }

    #[test]
    fn ok_every_refusal_names_its_rule_and_says_what_to_do() {
        let all = [
            Refusal::Underage { age: 14 },
            Refusal::Deceased,
            Refusal::Emigrated,
            Refusal::ImmigrationCase,
            Refusal::ResidenceNotLawful,
            Refusal::AlreadyHasIdentity,
            Refusal::NoDocument,
            Refusal::ProvisionalPassportNotAccepted,
            Refusal::OnlyHealthCard,
            Refusal::NeedsYellowHealthCard {
                document: D::ForeignPassport,
            },
            Refusal::OnlineAbroadNeedsDanishPassportOrLicence,
            Refusal::ShortTermNeedsWitness,
            Refusal::WitnessNotSworn,
            Refusal::WitnessIsApplicant,
            Refusal::WitnessNotInRegister,
            Refusal::WitnessNotEligible,
            Refusal::WitnessNotAllowedOnChannel,
        ];
        for r in &all {
            assert!(r.rule().starts_with("R-ENR-"), "{r:?}");
            let text = r.to_string();
            assert!(text.ends_with('.'), "{r:?}: {text}");
        }
        assert_eq!(all[0].rule(), "R-ENR-1 minimum age");
        assert!(all[0].to_string().contains("you are 14"));
        assert!(
            all[9].to_string().contains(
                "non-Danish passport is accepted only together with the yellow health card"
            )
        );
    }
}
