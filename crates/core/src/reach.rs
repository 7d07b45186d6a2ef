//! How a patient reaches help: the emergency number of the clinic's country, and what an answer
//! that needs the clinic tells the patient to do *now*.
//!
//! Two rules live here because a patient acts on them at once and a wrong one can hurt:
//!
//! - The emergency number is the clinic's country's (a Berlin patient is told 112, a Boston
//!   patient 911). A country the table does not know keeps the generic text that names the
//!   common numbers, rather than guessing one.
//! - An urgent answer ("be seen today") never goes with "we will contact you tomorrow": when the
//!   clinic's response would not come on the day the patient checked in, the patient is told to
//!   call the out-of-hours number now, or to go to urgent care when there is none.

use chrono::NaiveDate;

use crate::vocabulary::Disposition;

/// The emergency numbers of a country (ISO 3166 alpha-2, upper case), most familiar first;
/// `None` for a country this table does not know.
pub fn emergency_numbers(country: &str) -> Option<&'static [&'static str]> {
    const EUROPE_112: &[&str] = &[
        "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IT", "LV", "LT", "LU", "MT",
        "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "IS", "NO", "CH", "LI",
    ];
    let c = country.trim().to_ascii_uppercase();
    if EUROPE_112.contains(&c.as_str()) {
        return Some(&["112"]);
    }
    Some(match c.as_str() {
        "GB" => &["999", "112"],
        "IE" => &["112", "999"],
        "US" | "CA" => &["911"],
        "AU" => &["000", "112"],
        "NZ" => &["111"],
        "IN" => &["112"],
        "JP" => &["119"],
        "SG" => &["995"],
        "HK" => &["999"],
        _ => return None,
    })
}

/// Whether `code` is an assigned ISO 3166-1 alpha-2 country code (upper case).
pub fn is_country(code: &str) -> bool {
    code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase()) && COUNTRIES.split(' ').any(|c| c == code)
}

/// The assigned ISO 3166-1 alpha-2 codes.
const COUNTRIES: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ \
BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET \
FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR \
IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN \
MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY \
QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR \
TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

/// What the answer to a check-in says about the clinic's response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowUp {
    /// Nothing: self-care needs no answer from the clinic.
    None,
    /// An emergency: the patient has been told to call emergency services; the clinic knows.
    Alerted,
    /// The clinic will contact the patient by its deadline (shown with the deadline).
    ClinicContactsBy,
    /// Urgent, and the clinic would not answer today: call the out-of-hours number now.
    CallOutOfHoursNow,
    /// Urgent, the clinic would not answer today and has no out-of-hours number: go to urgent
    /// care (or call the emergency number if it gets worse) now.
    UrgentCareNow,
}

/// When the patient checked in, as the clinic sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClinicDay {
    /// The clinic's local date.
    pub date: NaiveDate,
    /// Whether the clinic is open at that moment.
    pub open: bool,
}

/// What a check-in's answer says about the clinic's response, given when the patient checked in
/// (as the clinic sees it), the day of the clinic's deadline (local to the clinic), and whether
/// the clinic has an out-of-hours number.
///
/// An urgent answer says "be seen today", so the patient waits for the clinic only while it is
/// open and will answer the same day; otherwise they are told what to do now.
pub fn follow_up(
    disposition: Disposition,
    now: ClinicDay,
    deadline_on: Option<NaiveDate>,
    has_out_of_hours: bool,
) -> FollowUp {
    match disposition {
        Disposition::SelfCare => FollowUp::None,
        Disposition::Emergency => FollowUp::Alerted,
        Disposition::UrgentSameDay if now.open && deadline_on == Some(now.date) => FollowUp::ClinicContactsBy,
        Disposition::UrgentSameDay if has_out_of_hours => FollowUp::CallOutOfHoursNow,
        Disposition::UrgentSameDay => FollowUp::UrgentCareNow,
        Disposition::ContactClinic if deadline_on.is_some() => FollowUp::ClinicContactsBy,
        Disposition::ContactClinic => FollowUp::Alerted,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_emergency_number_is_the_countrys() {
        assert_eq!(emergency_numbers("DE"), Some(&["112"][..]));
        assert_eq!(emergency_numbers("de"), Some(&["112"][..]));
        assert_eq!(emergency_numbers("US"), Some(&["911"][..]));
        assert_eq!(emergency_numbers("GB"), Some(&["999", "112"][..]));
        assert_eq!(emergency_numbers("AU"), Some(&["000", "112"][..]));
        assert_eq!(emergency_numbers("NZ"), Some(&["111"][..]));
        assert_eq!(emergency_numbers("ZZ"), None);
        assert_eq!(emergency_numbers(""), None);
    }

    #[test]
    fn every_country_with_a_number_is_a_country() {
        for c in ["DE", "GB", "US", "CA", "AU", "NZ", "IN", "JP", "SG", "HK", "IE", "CH", "NO"] {
            assert!(is_country(c), "{c}");
        }
        assert!(!is_country("de"));
        assert!(!is_country("XX"));
        assert!(!is_country("DEU"));
        assert!(!is_country(""));
    }

    #[test]
    fn an_urgent_answer_never_waits_for_another_day() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
        let tomorrow = today.succ_opt().unwrap();
        let (open, closed) = (ClinicDay { date: today, open: true }, ClinicDay { date: today, open: false });
        let u = Disposition::UrgentSameDay;
        assert_eq!(follow_up(u, open, Some(today), false), FollowUp::ClinicContactsBy);
        assert_eq!(follow_up(u, open, Some(tomorrow), true), FollowUp::CallOutOfHoursNow);
        assert_eq!(follow_up(u, open, Some(tomorrow), false), FollowUp::UrgentCareNow);
        assert_eq!(follow_up(u, open, None, false), FollowUp::UrgentCareNow);
        // 02:00, the clinic answers at 10:00 "today": still not a wait for the night.
        assert_eq!(follow_up(u, closed, Some(today), true), FollowUp::CallOutOfHoursNow);
        assert_eq!(follow_up(u, closed, Some(today), false), FollowUp::UrgentCareNow);
        assert_eq!(follow_up(Disposition::ContactClinic, closed, Some(tomorrow), false), FollowUp::ClinicContactsBy);
        assert_eq!(follow_up(Disposition::Emergency, open, Some(today), true), FollowUp::Alerted);
        assert_eq!(follow_up(Disposition::SelfCare, open, None, true), FollowUp::None);
    }

    proptest::proptest! {
        /// Whatever the days and numbers: an urgent answer's follow-up is a deadline only while the
        /// clinic is open and on the day the patient checked in, and an answer that needs the
        /// clinic always says something.
        #[test]
        fn an_urgent_follow_up_is_never_a_later_day(
            d in 0u32..3000, later in proptest::option::of(0u32..30), ooh in proptest::bool::ANY, which in 0usize..4,
            open in proptest::bool::ANY,
        ) {
            let day = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap() + chrono::Days::new(u64::from(d));
            let deadline = later.map(|l| day + chrono::Days::new(u64::from(l)));
            let disposition = [Disposition::SelfCare, Disposition::ContactClinic, Disposition::UrgentSameDay, Disposition::Emergency][which];
            let f = follow_up(disposition, ClinicDay { date: day, open }, deadline, ooh);
            if disposition == Disposition::UrgentSameDay && f == FollowUp::ClinicContactsBy {
                proptest::prop_assert_eq!(deadline, Some(day));
                proptest::prop_assert!(open, "a closed clinic is never waited for");
            }
            proptest::prop_assert_eq!(f == FollowUp::None, disposition == Disposition::SelfCare);
        }
    }
}
