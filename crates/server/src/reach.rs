//! How a patient reaches the clinic, shaped for pages and e-mails: the clinic's phone numbers
//! (with their `tel:` links), address and e-mail, and the emergency numbers of the clinic's
//! country (`needlepath_core::reach`, which also decides what an urgent answer tells the patient
//! to do now).
//!
//! Every patient page shows it in its footer, the check-in answers put the numbers first, and
//! every dead end (an expired or used link, a signed-out page) shows it when the clinic is
//! known, or "contact your clinic" when it is not.

use needlepath_core::reach::emergency_numbers;
use needlepath_store::Clinic;

use crate::i18n::Locale;

/// A phone number to show and to dial.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone {
    pub shown: String,
    /// For `href="tel:…"`: `+` and digits only.
    pub tel: String,
}

impl Phone {
    pub fn new(shown: &str) -> Self {
        let tel = shown.chars().filter(|c| c.is_ascii_digit() || *c == '+').collect();
        Self { shown: shown.to_string(), tel }
    }
}

/// How a patient reaches their clinic, and help in an emergency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reach {
    pub clinic: String,
    pub phone: Option<Phone>,
    pub out_of_hours: Option<Phone>,
    pub email: Option<String>,
    pub address_lines: Vec<String>,
    /// The emergency numbers of the clinic's country; empty when it is unknown (the pages then
    /// name the common numbers).
    pub emergency: Vec<Phone>,
}

impl Reach {
    pub fn of(c: &Clinic) -> Self {
        let k = &c.settings.contact;
        Self {
            clinic: c.name.clone(),
            phone: k.phone.as_deref().map(Phone::new),
            out_of_hours: k.out_of_hours_phone.as_deref().map(Phone::new),
            email: k.email.clone(),
            address_lines: k
                .address
                .as_deref()
                .map(|a| a.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_string).collect())
                .unwrap_or_default(),
            emergency: k
                .country
                .as_deref()
                .and_then(emergency_numbers)
                .map(|n| n.iter().map(|x| Phone::new(x)).collect())
                .unwrap_or_default(),
        }
    }

    /// Whether the clinic can be reached by anything but its name.
    pub fn has_contact(&self) -> bool {
        self.phone.is_some() || self.out_of_hours.is_some() || self.email.is_some() || !self.address_lines.is_empty()
    }

    /// "Call 112 now"-style text: the country's numbers ("999 or 112"), or the generic sentence.
    pub fn emergency_numbers(&self, t: &Locale) -> Option<String> {
        (!self.emergency.is_empty()).then(|| {
            self.emergency.iter().map(|p| p.shown.as_str()).collect::<Vec<_>>().join(t.s("reach.emergency.or"))
        })
    }

    /// The sentence naming the emergency number(s) to call.
    pub fn emergency_sentence(reach: Option<&Self>, t: &Locale) -> String {
        match reach.and_then(|r| r.emergency_numbers(t)) {
            Some(n) => t.f("reach.emergency.numbers", &[("numbers", &n)]),
            None => t.s("reach.emergency.numbers_generic").to_string(),
        }
    }

    /// The numbers to dial in an emergency: the country's, or the three common ones.
    pub fn emergency_phones(reach: Option<&Self>) -> Vec<Phone> {
        match reach {
            Some(r) if !r.emergency.is_empty() => r.emergency.clone(),
            _ => ["112", "911", "999"].iter().map(|n| Phone::new(n)).collect(),
        }
    }

    /// One line of contact for e-mails and the printed sheet: "Phone: …; E-mail: …; Address: …".
    pub fn one_line(&self, t: &Locale) -> String {
        let mut parts = Vec::new();
        if let Some(p) = &self.phone {
            parts.push(t.f("reach.phone", &[("phone", &p.shown)]));
        }
        if let Some(p) = &self.out_of_hours {
            parts.push(t.f("reach.out_of_hours", &[("phone", &p.shown)]));
        }
        if let Some(e) = &self.email {
            parts.push(t.f("reach.email", &[("email", e)]));
        }
        if !self.address_lines.is_empty() {
            parts.push(t.f("reach.address", &[("address", &self.address_lines.join(", "))]));
        }
        parts.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::default_locale;

    #[test]
    fn a_phone_dials_its_digits() {
        assert_eq!(Phone::new("+49 (30) 123-45.67").tel, "+4930123 4567".replace(' ', ""));
    }

    #[test]
    fn unknown_countries_keep_the_generic_numbers() {
        let t = default_locale();
        assert!(Reach::emergency_sentence(None, t).contains("911"));
        let phones: Vec<String> = Reach::emergency_phones(None).into_iter().map(|p| p.tel).collect();
        assert_eq!(phones, ["112", "911", "999"]);
    }
}
