//! The contract's codes (`docs/spec/vocabulary.json`) as Rust enums.
//!
//! Codes are parsed once at the edge; from then on an unknown code cannot exist. Each enum lists
//! its variants in the contract's order and spells them exactly as the contract does, and a test
//! compares every list against the committed copy of `vocabulary.json`.

use serde::{Serialize, Serializer};

use crate::suggest::nearest;

/// An unknown code: what was given, which kind of code was expected, and the nearest valid one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownCode {
    pub kind: &'static str,
    pub given: String,
    pub suggestion: Option<&'static str>,
    pub accepted: &'static [&'static str],
}

impl std::fmt::Display for UnknownCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "unknown {} '{}'", self.kind, self.given)?;
        if let Some(s) = self.suggestion {
            write!(f, " (did you mean '{s}'?)")?;
        }
        write!(f, "; accepted: {}", self.accepted.join(", "))
    }
}

/// Defines a code enum with its exact contract spelling, the list of all codes and parsing with a
/// nearest-code suggestion.
macro_rules! codes {
    ($(#[$meta:meta])* $name:ident, $kind:literal { $($variant:ident = $code:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),+ }

        impl $name {
            /// Every code, in the contract's order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// Every code's spelling, in the contract's order.
            pub const CODES: &'static [&'static str] = &[$($code),+];
            /// What kind of code this is, in words, for error messages.
            pub const KIND: &'static str = $kind;

            /// The code as the contract spells it.
            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            /// Parses a code; an unknown one comes back with the nearest valid code.
            pub fn parse(s: &str) -> Result<Self, UnknownCode> {
                match s {
                    $($code => Ok($name::$variant),)+
                    _ => Err(UnknownCode {
                        kind: $kind,
                        given: s.to_owned(),
                        suggestion: nearest(s, Self::CODES),
                        accepted: Self::CODES,
                    }),
                }
            }

            /// The position of this code in [`Self::ALL`], for dense per-code tables.
            pub const fn index(self) -> usize { self as usize }
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

        /// Reads the contract's spelling back (a stored result, say); an unknown code is an
        /// error naming the nearest valid one, never a default.
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
                $name::parse(&text).map_err(serde::de::Error::custom)
            }
        }

        // Serialised by hand as the code, so its schema is written by hand too: the codes,
        // inline where they are used.
        #[cfg(feature = "schemars")]
        impl schemars::JsonSchema for $name {
            fn inline_schema() -> bool {
                true
            }

            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }

            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({ "type": "string", "enum": Self::CODES })
            }
        }
    };
}

codes!(
    /// Why the person seeks treatment.
    Concern, "concern" {
        AcneScars = "acne_scars",
        OtherScars = "other_scars",
        StretchMarks = "stretch_marks",
        FineLinesWrinkles = "fine_lines_wrinkles",
        SkinTexture = "skin_texture",
        Hyperpigmentation = "hyperpigmentation",
        HairLoss = "hair_loss",
        Rosacea = "rosacea",
        LooseSkin = "loose_skin",
    }
);

codes!(
    /// The morphology of the scars.
    ScarType, "scar type" {
        Atrophic = "atrophic",
        Hypertrophic = "hypertrophic",
        Keloid = "keloid",
        Mixed = "mixed",
        Macular = "macular",
    }
);

codes!(
    /// Something known about the person that bears on whether and how to treat.
    Finding, "finding" {
        Pregnant = "pregnant",
        Breastfeeding = "breastfeeding",
        ActiveAcne = "active_acne",
        SkinInfection = "skin_infection",
        ColdSoreActive = "cold_sore_active",
        ColdSoreHistory = "cold_sore_history",
        OpenWound = "open_wound",
        EczemaFlare = "eczema_flare",
        AtopicDermatitis = "atopic_dermatitis",
        PsoriasisFlare = "psoriasis_flare",
        Psoriasis = "psoriasis",
        RosaceaFlare = "rosacea_flare",
        Rosacea = "rosacea",
        Sunburn = "sunburn",
        RadiationTherapyToArea = "radiation_therapy_to_area",
        RadiationTherapyElsewhere = "radiation_therapy_elsewhere",
        Chemotherapy = "chemotherapy",
        Isotretinoin = "isotretinoin",
        RecentProcedureInArea = "recent_procedure_in_area",
        PreviousMicroneedling = "previous_microneedling",
        PreviousSessionReaction = "previous_session_reaction",
        PigmentationFromPreviousSession = "pigmentation_from_previous_session",
        KeloidTendency = "keloid_tendency",
        Anticoagulant = "anticoagulant",
        BleedingDisorder = "bleeding_disorder",
        BruisesEasily = "bruises_easily",
        DiabetesUncontrolled = "diabetes_uncontrolled",
        Immunosuppressed = "immunosuppressed",
        NickelAllergy = "nickel_allergy",
        AnestheticAllergy = "anesthetic_allergy",
        TopicalProductAllergy = "topical_product_allergy",
        TopicalRetinoid = "topical_retinoid",
        HomeMicroneedling = "home_microneedling",
        SuspiciousLesion = "suspicious_lesion",
    }
);

impl Finding {
    /// Whether the finding has a date that its window counts from (`timed` in the vocabulary).
    pub const fn is_timed(self) -> bool {
        matches!(
            self,
            Finding::Sunburn
                | Finding::RadiationTherapyToArea
                | Finding::RadiationTherapyElsewhere
                | Finding::Chemotherapy
                | Finding::Isotretinoin
                | Finding::RecentProcedureInArea
                | Finding::PreviousMicroneedling
                | Finding::HomeMicroneedling
        )
    }
}

codes!(
    /// What a patient reports at a check-in.
    Symptom, "symptom" {
        Redness = "redness",
        Swelling = "swelling",
        Pain = "pain",
        Tenderness = "tenderness",
        Warmth = "warmth",
        Burning = "burning",
        Tightness = "tightness",
        Itching = "itching",
        Dryness = "dryness",
        Flaking = "flaking",
        Scabs = "scabs",
        Bruising = "bruising",
        PinpointBleeding = "pinpoint_bleeding",
        Breakout = "breakout",
        TenderLymphNode = "tender_lymph_node",
        Tingling = "tingling",
        Pus = "pus",
        YellowCrust = "yellow_crust",
        SpreadingRedness = "spreading_redness",
        Blisters = "blisters",
        Rash = "rash",
        Hives = "hives",
        Lumps = "lumps",
        DarkPatches = "dark_patches",
        LightPatches = "light_patches",
        TrackMarks = "track_marks",
        RaisedScar = "raised_scar",
        BleedingWontStop = "bleeding_wont_stop",
        EyeSymptoms = "eye_symptoms",
        Fever = "fever",
        Chills = "chills",
        FeelingVeryUnwell = "feeling_very_unwell",
        Faintness = "faintness",
        LipTongueSwelling = "lip_tongue_swelling",
        ThroatTightness = "throat_tightness",
        BreathingDifficulty = "breathing_difficulty",
        MouthNumbness = "mouth_numbness",
        RingingEars = "ringing_ears",
        Seizure = "seizure",
        VisionChange = "vision_change",
        Palpitations = "palpitations",
        ChestPain = "chest_pain",
        BlueGreyLips = "blue_grey_lips",
    }
);

codes!(
    /// Something a patient may want to do after a session.
    Activity, "activity" {
        WaterWash = "water_wash",
        GentleCleanser = "gentle_cleanser",
        Moisturizer = "moisturizer",
        SheaButter = "shea_butter",
        Sunscreen = "sunscreen",
        Makeup = "makeup",
        Retinoid = "retinoid",
        Acids = "acids",
        VitaminCSerum = "vitamin_c_serum",
        Exfoliant = "exfoliant",
        AlcoholToner = "alcohol_toner",
        Exercise = "exercise",
        Sauna = "sauna",
        Swimming = "swimming",
        SunExposure = "sun_exposure",
        OutdoorsBrief = "outdoors_brief",
        PickSkin = "pick_skin",
        IcePack = "ice_pack",
        Work = "work",
        DrinkWater = "drink_water",
        HomeMicroneedling = "home_microneedling",
        NextSession = "next_session",
    }
);

codes!(
    /// A screening outcome, from least to most strict.
    Decision, "screening decision" {
        Eligible = "eligible",
        EligibleWithPrecautions = "eligible_with_precautions",
        Defer = "defer",
        NotEligible = "not_eligible",
    }
);

codes!(
    /// How urgently a check-in needs a person's attention, from least to most urgent.
    Disposition, "disposition" {
        SelfCare = "self_care",
        ContactClinic = "contact_clinic",
        UrgentSameDay = "urgent_same_day",
        Emergency = "emergency",
    }
);

codes!(
    /// The answer to "can I do this now?", from strictest to freest.
    Answer, "answer" {
        No = "no",
        YesWithConditions = "yes_with_conditions",
        Yes = "yes",
    }
);

codes!(
    /// How bad a symptom is, as the patient reports it.
    Severity, "severity" {
        Mild = "mild",
        Moderate = "moderate",
        Severe = "severe",
    }
);

codes!(
    /// How a symptom is changing since the last check-in or the day before.
    Trend, "trend" {
        Improving = "improving",
        Same = "same",
        Worse = "worse",
    }
);

/// The status of one symptom against its expected course.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Expected,
    OutsideExpectedCourse,
    RedFlag,
}

impl Status {
    /// The status a disposition implies: self-care is the expected course, contact-clinic is
    /// outside it, and anything urgent is a red flag.
    pub const fn of(disposition: Disposition) -> Self {
        match disposition {
            Disposition::SelfCare => Status::Expected,
            Disposition::ContactClinic => Status::OutsideExpectedCourse,
            Disposition::UrgentSameDay | Disposition::Emergency => Status::RedFlag,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_run_from_mild_to_strict() {
        assert!(Decision::NotEligible > Decision::Defer);
        assert!(Decision::Defer > Decision::EligibleWithPrecautions);
        assert!(Disposition::Emergency > Disposition::UrgentSameDay);
        assert!(Answer::Yes > Answer::No);
    }

    #[test]
    fn parse_round_trips_every_code() {
        for s in Symptom::ALL {
            assert_eq!(Symptom::parse(s.as_str()), Ok(*s));
        }
        for f in Finding::ALL {
            assert_eq!(Finding::parse(f.as_str()), Ok(*f));
        }
    }

    #[test]
    fn unknown_code_suggests_the_nearest() {
        let e = Symptom::parse("rednes").unwrap_err();
        assert_eq!(e.suggestion, Some("redness"));
        assert!(e.to_string().contains("did you mean 'redness'"));
    }
}
