//! The closed vocabularies of the records that core does not own — a validated time zone, an
//! appointment's status, a message's kind — and the reason codes the store (and the delivery
//! worker) write where they used to write English.
//!
//! Each is kept as the same text it always was (no schema change), so the JSON of a record is
//! unchanged; but once read, a value is one of a known set, and a stored value outside it is
//! reported as corrupt by the row readers instead of being defaulted. Reason codes are rendered in
//! the reader's language by the server; rows written before they existed hold an English sentence,
//! which is kept and shown as it is (`Text`).

use chrono_tz::Tz;
use needlepath_core::reminders::ReminderKind;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An IANA time zone (`Europe/Berlin`, `UTC`), validated when it is made; kept and serialised as
/// its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IanaZone(Tz);

/// A time zone name that is not an IANA zone.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an IANA time zone (for example Europe/Berlin)")]
pub struct UnknownZone(pub String);

impl IanaZone {
    pub const UTC: IanaZone = IanaZone(Tz::UTC);

    pub fn parse(name: &str) -> Result<Self, UnknownZone> {
        name.parse::<Tz>().map(Self).map_err(|_| UnknownZone(name.to_owned()))
    }

    pub const fn tz(self) -> Tz {
        self.0
    }

    /// The IANA name, as stored.
    pub fn name(self) -> &'static str {
        self.0.name()
    }
}

impl From<Tz> for IanaZone {
    fn from(tz: Tz) -> Self {
        Self(tz)
    }
}

impl std::str::FromStr for IanaZone {
    type Err = UnknownZone;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl std::fmt::Display for IanaZone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for IanaZone {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

// Serialised by hand as its name, so its schema is written by hand: a string, inline.
impl schemars::JsonSchema for IanaZone {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        "IanaZone".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "An IANA time zone name.",
            "examples": ["Europe/Berlin"]
        })
    }
}

impl<'de> Deserialize<'de> for IanaZone {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        Self::parse(&name).map_err(serde::de::Error::custom)
    }
}

/// Defines a closed set of codes kept as text: spelling, parsing, display and serialisation as
/// the code.
macro_rules! stored_codes {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $code:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The code as it is stored and serialised.
            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            pub fn parse(s: &str) -> Option<Self> {
                match s {
                    $($code => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        // Serialised by hand as the code, so the schema is too: the codes, inline.
        impl schemars::JsonSchema for $name {
            fn inline_schema() -> bool {
                true
            }

            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }

            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                let codes: Vec<&str> = Self::ALL.iter().map(|c| c.as_str()).collect();
                schemars::json_schema!({ "type": "string", "enum": codes })
            }
        }
    };
}

stored_codes!(
    /// Where a booked session is in its life.
    AppointmentStatus {
        Booked = "booked",
        Cancelled = "cancelled",
        /// The session took place (a recorded session fulfilled it).
        Done = "done",
    }
);

stored_codes!(
    /// Who acted, by kind: the subject of an audit record and who submitted a check-in.
    ActorKind {
        Staff = "staff",
        Patient = "patient",
        ApiToken = "api_token",
        /// The service itself (scheduled sweeps, the command line).
        System = "system",
    }
);

stored_codes!(
    /// Which standard view a photo is (issue 15): the five angles of a treatment series, or a
    /// photo a patient sent with a check-in (whatever their phone could take).
    PhotoView {
        Front = "front",
        LeftOblique = "left_oblique",
        RightOblique = "right_oblique",
        LeftProfile = "left_profile",
        RightProfile = "right_profile",
        CheckIn = "check_in",
    }
);

stored_codes!(
    /// When in the treatment a photo was taken: before it (baseline), at a session, or with a
    /// check-in after one.
    PhotoStage {
        Baseline = "baseline",
        Session = "session",
        CheckIn = "check_in",
    }
);

stored_codes!(
    /// What a message is about: a patient reminder of core's kinds, an alert to staff or the
    /// clinic, or a sign-in link.
    MessageKind {
        PreCare = "pre_care",
        Appointment = "appointment",
        Aftercare = "aftercare",
        CheckIn = "check_in",
        NextWindow = "next_window",
        /// The outcome questionnaire is open (issue 15).
        Outcome = "outcome",
        /// A maintenance session may be considered after a series (issue 15).
        Maintenance = "maintenance",
        Alert = "alert",
        SignIn = "sign_in",
        /// To a staff member: someone is guessing at their password (issue 14, defect 3).
        LoginWarning = "login_warning",
    }
);

impl From<ReminderKind> for MessageKind {
    fn from(k: ReminderKind) -> Self {
        match k {
            ReminderKind::PreCare => MessageKind::PreCare,
            ReminderKind::Appointment => MessageKind::Appointment,
            ReminderKind::Aftercare => MessageKind::Aftercare,
            ReminderKind::CheckIn => MessageKind::CheckIn,
            ReminderKind::NextWindow => MessageKind::NextWindow,
            ReminderKind::Outcome => MessageKind::Outcome,
            ReminderKind::Maintenance => MessageKind::Maintenance,
        }
    }
}

/// Why a follow-up was raised. Stored as a code (`missed_check_in`, `missed_check_in:day:3`);
/// follow-ups raised before codes hold an English sentence, kept as `Text`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FollowUpReason {
    /// The patient did not check in when a check-in was due; `day` after the session when the
    /// check-in was scheduled for one.
    MissedCheckIn { day: Option<u32> },
    /// A check-in's photo whose redness index rose where it should fall (issue 15): a look, not
    /// a finding.
    LookAtPhoto { photo: uuid::Uuid },
    /// A reason stored before reason codes, as written then.
    Text(String),
}

impl FollowUpReason {
    const MISSED: &'static str = "missed_check_in";
    const MISSED_DAY: &'static str = "missed_check_in:day:";
    const PHOTO: &'static str = "look_at_photo:";

    /// The code as it is stored.
    pub fn code(&self) -> String {
        match self {
            FollowUpReason::MissedCheckIn { day: Some(d) } => format!("{}{d}", Self::MISSED_DAY),
            FollowUpReason::MissedCheckIn { day: None } => Self::MISSED.to_owned(),
            FollowUpReason::LookAtPhoto { photo } => format!("{}{photo}", Self::PHOTO),
            FollowUpReason::Text(s) => s.clone(),
        }
    }

    /// Reads a stored reason: a code, or (older rows) the sentence itself.
    pub fn from_stored(s: &str) -> Self {
        if s == Self::MISSED {
            return FollowUpReason::MissedCheckIn { day: None };
        }
        if let Some(day) = s.strip_prefix(Self::MISSED_DAY).and_then(|d| d.parse().ok()) {
            return FollowUpReason::MissedCheckIn { day: Some(day) };
        }
        if let Some(photo) = s.strip_prefix(Self::PHOTO).and_then(|p| p.parse().ok()) {
            return FollowUpReason::LookAtPhoto { photo };
        }
        FollowUpReason::Text(s.to_owned())
    }
}

/// A note on a follow-up: what staff wrote when they closed it, or what the store noted when the
/// patient's own check-in closed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FollowUpNote {
    /// The patient checked in after all (stored as a code; older rows hold the sentence "the
    /// patient checked in", read as this too).
    PatientCheckedIn,
    /// A staff member's note, as written.
    Staff(String),
}

impl FollowUpNote {
    const CHECKED_IN: &'static str = "code:patient_checked_in";
    const CHECKED_IN_BEFORE_CODES: &'static str = "the patient checked in";

    pub fn code(&self) -> &str {
        match self {
            FollowUpNote::PatientCheckedIn => Self::CHECKED_IN,
            FollowUpNote::Staff(s) => s,
        }
    }

    pub fn from_stored(s: &str) -> Self {
        match s {
            Self::CHECKED_IN | Self::CHECKED_IN_BEFORE_CODES => FollowUpNote::PatientCheckedIn,
            other => FollowUpNote::Staff(other.to_owned()),
        }
    }

    /// The code stored when the patient's check-in closes a follow-up (for SQL literals).
    pub const fn checked_in_code() -> &'static str {
        Self::CHECKED_IN
    }
}

/// Why needlepath itself withdrew or skipped a message, kept as a code in the message's
/// `last_error`. What a receiving server answered (an SMTP or HTTP error) is kept as it came, and
/// so is a reason written before codes: both read as `Text`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageNote {
    /// Withdrawn: its appointment was moved (its reminders were queued again).
    AppointmentMoved,
    /// Withdrawn: its appointment was cancelled.
    AppointmentCancelled,
    /// Withdrawn: the session took place.
    SessionTookPlace,
    /// Skipped: more than `hours` late, no longer useful.
    Stale { hours: u32 },
    /// Skipped: the recipient (`patient`, `staff`, …) no longer exists.
    RecipientGone { what: String },
    /// Skipped: e-mail is not set up on this service.
    EmailNotSetUp,
    /// Skipped: no e-mail address on record.
    NoEmailAddress,
    /// Skipped: e-mail reminders are off, or there is no consent to messages.
    EmailOff,
    /// Skipped: the webhook is not set up on this service.
    WebhookNotSetUp,
    /// Skipped: no phone number on record.
    NoPhone,
    /// Skipped: text-message reminders are off, or there is no consent to messages.
    SmsOff,
    /// A receiving server's error, or a reason stored before codes, as written.
    Text(String),
}

impl MessageNote {
    /// The code as it is stored.
    pub fn code(&self) -> String {
        match self {
            MessageNote::AppointmentMoved => "withdrawn:appointment_moved".into(),
            MessageNote::AppointmentCancelled => "withdrawn:appointment_cancelled".into(),
            MessageNote::SessionTookPlace => "withdrawn:session_took_place".into(),
            MessageNote::Stale { hours } => format!("skipped:stale:{hours}"),
            MessageNote::RecipientGone { what } => format!("skipped:gone:{what}"),
            MessageNote::EmailNotSetUp => "skipped:email_not_set_up".into(),
            MessageNote::NoEmailAddress => "skipped:no_email_address".into(),
            MessageNote::EmailOff => "skipped:email_off".into(),
            MessageNote::WebhookNotSetUp => "skipped:webhook_not_set_up".into(),
            MessageNote::NoPhone => "skipped:no_phone".into(),
            MessageNote::SmsOff => "skipped:sms_off".into(),
            MessageNote::Text(s) => s.clone(),
        }
    }

    /// Reads a stored `last_error`: a code, or any other text as it is.
    pub fn from_stored(s: &str) -> Self {
        match s {
            "withdrawn:appointment_moved" => return MessageNote::AppointmentMoved,
            "withdrawn:appointment_cancelled" => return MessageNote::AppointmentCancelled,
            "withdrawn:session_took_place" => return MessageNote::SessionTookPlace,
            "skipped:email_not_set_up" => return MessageNote::EmailNotSetUp,
            "skipped:no_email_address" => return MessageNote::NoEmailAddress,
            "skipped:email_off" => return MessageNote::EmailOff,
            "skipped:webhook_not_set_up" => return MessageNote::WebhookNotSetUp,
            "skipped:no_phone" => return MessageNote::NoPhone,
            "skipped:sms_off" => return MessageNote::SmsOff,
            _ => {}
        }
        if let Some(hours) = s.strip_prefix("skipped:stale:").and_then(|h| h.parse().ok()) {
            return MessageNote::Stale { hours };
        }
        if let Some(what) = s.strip_prefix("skipped:gone:").filter(|w| !w.is_empty() && !w.contains(' ')) {
            return MessageNote::RecipientGone { what: what.to_owned() };
        }
        MessageNote::Text(s.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_zone_serialises_as_its_iana_name_and_refuses_others() {
        let z = IanaZone::parse("Europe/Berlin").unwrap();
        assert_eq!(serde_json::to_string(&z).unwrap(), "\"Europe/Berlin\"");
        assert_eq!(serde_json::from_str::<IanaZone>("\"Europe/Berlin\"").unwrap(), z);
        assert!(IanaZone::parse("Mars/Olympus").is_err());
        assert!(serde_json::from_str::<IanaZone>("\"Mars/Olympus\"").is_err());
    }

    #[test]
    fn codes_round_trip() {
        for s in AppointmentStatus::ALL {
            assert_eq!(AppointmentStatus::parse(s.as_str()), Some(*s));
        }
        for k in ActorKind::ALL {
            assert_eq!(ActorKind::parse(k.as_str()), Some(*k));
        }
        for k in MessageKind::ALL {
            assert_eq!(MessageKind::parse(k.as_str()), Some(*k));
        }
        assert_eq!(MessageKind::parse("telegram"), None);
        for r in [FollowUpReason::MissedCheckIn { day: Some(3) }, FollowUpReason::MissedCheckIn { day: None }] {
            assert_eq!(FollowUpReason::from_stored(&r.code()), r);
        }
        for n in [FollowUpNote::PatientCheckedIn, FollowUpNote::Staff("called, all well".into())] {
            assert_eq!(FollowUpNote::from_stored(n.code()), n);
        }
        let notes = [
            MessageNote::AppointmentMoved,
            MessageNote::AppointmentCancelled,
            MessageNote::SessionTookPlace,
            MessageNote::Stale { hours: 48 },
            MessageNote::RecipientGone { what: "patient".into() },
            MessageNote::EmailNotSetUp,
            MessageNote::NoEmailAddress,
            MessageNote::EmailOff,
            MessageNote::WebhookNotSetUp,
            MessageNote::NoPhone,
            MessageNote::SmsOff,
            MessageNote::Text("550 no such mailbox".into()),
        ];
        for n in notes {
            assert_eq!(MessageNote::from_stored(&n.code()), n);
        }
    }

    #[test]
    fn english_written_before_reason_codes_still_reads() {
        let old = "no check-in on day 3 after the session";
        assert_eq!(FollowUpReason::from_stored(old), FollowUpReason::Text(old.into()));
        assert_eq!(FollowUpNote::from_stored("the patient checked in"), FollowUpNote::PatientCheckedIn);
        let old = "the appointment was cancelled";
        assert_eq!(MessageNote::from_stored(old), MessageNote::Text(old.into()));
    }
}
