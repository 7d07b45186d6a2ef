//! Who may do what, in one place: the roles behind each route's access rule ([`Access`], which
//! the table in `routes.rs` names for every route) and the capabilities handlers and pages ask
//! of the caller through [`Caller`] (`a.is_clinical()`, `a.may_override_session_gates()`, …).
//!
//! Why one module: the same rule decides whether a route answers and whether a page shows a
//! section, a form or a link to it; written once, a page cannot offer what its route refuses.
//! Handlers ask for a capability by what it allows, never by comparing roles, so a new role is
//! a change here only.
//!
//! The store keeps its own copy of the clinical-role rule ([`Role::is_clinical`], defence in
//! depth behind the route table); [`CLINICAL`] is tied to it by a test below.

use needlepath_store::{Actor, Role, StaffId, Who};

use crate::auth::Authed;
use crate::problem::ApiError;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not.
    Public,
    /// Anyone signed in: staff, patient or API token.
    Authenticated,
    /// Staff (or an API token) with one of these roles.
    Staff(&'static [Role]),
    /// A patient, for their own record.
    Patient,
    /// A patient (the store confines them to their own record, so another patient's object is
    /// not found), or staff with one of these roles: a photo's image, which both read.
    PatientOrStaff(&'static [Role]),
}

pub const ANY_STAFF: &[Role] = &[Role::Admin, Role::Practitioner, Role::FrontDesk];
/// Clinical staff: screenings, plans, sessions, check-ins and alerts are theirs.
pub const CLINICAL: &[Role] = &[Role::Admin, Role::Practitioner];
/// The clinic's settings, staff, API tokens and the audit log.
pub const ADMIN: &[Role] = &[Role::Admin];
/// Clinicians: a clinician review and an override of the session safety gates are theirs alone.
pub const PRACTITIONER: &[Role] = &[Role::Practitioner];

/// Why a route refused its caller (a 401 or a 403; see [`ApiError::from`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Nobody is signed in.
    Unauthenticated,
    /// The route is a patient's own, and the caller is not a patient.
    NotAPatient,
    /// The route is for clinic staff, and the caller is a patient.
    NotStaff,
    /// The caller's staff role is not among the roles the route needs.
    Role { role: Role, needs: &'static [Role] },
}

impl Access {
    /// Whether `caller` (`None` when nobody is signed in) may call a route with this rule.
    pub fn allows(self, caller: Option<&Authed>) -> Result<(), Refusal> {
        match (self, caller) {
            (Access::Public, _) => Ok(()),
            (_, None) => Err(Refusal::Unauthenticated),
            (Access::Authenticated, Some(_)) => Ok(()),
            (Access::Patient, Some(a)) => match a.actor.who {
                Who::Patient(_) => Ok(()),
                _ => Err(Refusal::NotAPatient),
            },
            (Access::PatientOrStaff(_), Some(a)) if matches!(a.actor.who, Who::Patient(_)) => Ok(()),
            (Access::Staff(needs) | Access::PatientOrStaff(needs), Some(a)) => match a.role() {
                Some(role) if needs.contains(&role) => Ok(()),
                Some(role) => Err(Refusal::Role { role, needs }),
                None => Err(Refusal::NotStaff),
            },
        }
    }
}

impl From<Refusal> for ApiError {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::Unauthenticated => ApiError::unauthenticated(),
            Refusal::NotAPatient => ApiError::forbidden("only a patient can use this route, for their own record"),
            Refusal::NotStaff => ApiError::forbidden("this route is for clinic staff"),
            Refusal::Role { role, needs } => ApiError::forbidden(format!(
                "the {} role cannot use this route; it needs {}",
                role.as_str(),
                needs.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(" or ")
            )),
        }
    }
}

/// Whether a staff member of this role performs sessions: an appointment is booked with them,
/// and one they book themselves is theirs by default.
pub fn performs_sessions(role: Role) -> bool {
    PRACTITIONER.contains(&role)
}

/// Whether a staff member of this role is told of a new alert (clinical staff are).
pub fn receives_alerts(role: Role) -> bool {
    role.is_clinical()
}

/// The capabilities of a caller: the request's [`Authed`] in handlers and pages, the store's
/// [`Actor`] in the application layer's use cases. A patient or the system has none of these (a
/// patient's own record is reached through `Access::Patient` routes, never a capability); a
/// person and an API token of the same role have the same.
pub trait Caller {
    /// Who is asking.
    fn who(&self) -> Who;

    /// The staff role of a person or an API token; `None` for a patient or the system.
    fn staff_role(&self) -> Option<Role> {
        match self.who() {
            Who::Staff(_, r) | Who::Token(_, r) => Some(r),
            Who::Patient(_) | Who::System => None,
        }
    }

    /// Clinical staff: sees and records screenings, plans, sessions, check-ins and alerts.
    fn is_clinical(&self) -> bool {
        self.staff_role().is_some_and(|r| CLINICAL.contains(&r))
    }

    /// Changes a patient's findings, allergies and medication (the front desk keeps contact
    /// details, birth date and skin type).
    fn may_edit_clinical_fields(&self) -> bool {
        self.is_clinical()
    }

    /// Records a clinician's review of a screening.
    fn may_review_screening(&self) -> bool {
        self.staff_role().is_some_and(|r| PRACTITIONER.contains(&r))
    }

    /// Records a session over the safety gates' overridable blockers.
    fn may_override_session_gates(&self) -> bool {
        self.staff_role().is_some_and(|r| PRACTITIONER.contains(&r))
    }

    /// Performs sessions: an appointment they book is theirs unless they name another.
    fn performs_sessions(&self) -> bool {
        self.staff_role().is_some_and(performs_sessions)
    }

    /// Changes the clinic's settings, staff accounts, API tokens and protocol.
    fn may_manage_clinic(&self) -> bool {
        self.staff_role().is_some_and(|r| ADMIN.contains(&r))
    }

    /// Reads the audit log (the clinic's, and a patient's on their page).
    fn may_see_audit(&self) -> bool {
        self.staff_role().is_some_and(|r| ADMIN.contains(&r))
    }

    /// Whether changing staff account `target` to `active` / `role` would take the caller's own
    /// admin access away: an admin cannot deactivate or demote themselves (another admin can),
    /// so a clinic is never left without one by accident.
    fn would_lock_self_out(&self, target: StaffId, active: Option<bool>, role: Option<Role>) -> bool {
        self.who().staff() == Some(target) && (active == Some(false) || role.is_some_and(|r| !ADMIN.contains(&r)))
    }
}

impl Caller for Authed {
    fn who(&self) -> Who {
        self.actor.who
    }
}

impl Caller for Actor {
    fn who(&self) -> Who {
        self.who
    }
}

#[cfg(test)]
mod tests {
    use axum::http::StatusCode;
    use needlepath_store::{ClinicId, PatientId, TokenId};

    use super::*;

    fn caller(who: Who) -> Authed {
        Authed { actor: Actor { clinic: ClinicId::new(), who, ip: None }, csrf: None, login_hash: None }
    }

    fn staff(role: Role) -> Authed {
        caller(Who::Staff(StaffId::new(), role))
    }

    /// A capability as asked of a request's caller and of a use case's actor.
    type Capability = (&'static str, fn(&Authed) -> bool, fn(&Actor) -> bool);

    macro_rules! capabilities {
        ($($name:ident),*) => {
            &[$((stringify!($name), <Authed as Caller>::$name, <Actor as Caller>::$name)),*]
        };
    }

    const CAPABILITIES: &[Capability] = capabilities!(
        is_clinical,
        may_edit_clinical_fields,
        may_review_screening,
        may_override_session_gates,
        performs_sessions,
        may_manage_clinic,
        may_see_audit
    );

    /// Every role × every capability, as a table: (role, capabilities it has).
    const TABLE: &[(Role, &[&str])] = &[
        (Role::Admin, &["is_clinical", "may_edit_clinical_fields", "may_manage_clinic", "may_see_audit"]),
        (
            Role::Practitioner,
            &[
                "is_clinical",
                "may_edit_clinical_fields",
                "may_review_screening",
                "may_override_session_gates",
                "performs_sessions",
            ],
        ),
        (Role::FrontDesk, &[]),
    ];

    #[test]
    fn every_role_has_exactly_the_capabilities_of_the_table() {
        assert_eq!(TABLE.len(), Role::ALL.len(), "every role has a row");
        for (role, granted) in TABLE {
            for (name, has, has_actor) in CAPABILITIES {
                let want = granted.contains(name);
                // A person and an API token of the same role may do the same.
                assert_eq!(has(&staff(*role)), want, "{} staff: {name}", role.as_str());
                // The use cases ask the store's actor the same question, with the same answer.
                assert_eq!(has_actor(&staff(*role).actor), want, "{} actor: {name}", role.as_str());
                assert_eq!(has(&caller(Who::Token(TokenId::new(), *role))), want, "{} token: {name}", role.as_str());
            }
        }
        for (name, has, has_actor) in CAPABILITIES {
            assert!(!has(&caller(Who::Patient(PatientId::new()))), "a patient: {name}");
            assert!(!has(&caller(Who::System)), "the system: {name}");
            assert!(!has_actor(&caller(Who::System).actor), "the system's actor: {name}");
        }
    }

    #[test]
    fn the_route_roles_agree_with_the_stores_clinical_rule() {
        for role in Role::ALL {
            assert_eq!(CLINICAL.contains(&role), role.is_clinical(), "{}", role.as_str());
            assert_eq!(receives_alerts(role), role.is_clinical(), "{}", role.as_str());
            assert!(ANY_STAFF.contains(&role), "{}", role.as_str());
        }
        for roles in [CLINICAL, ADMIN, PRACTITIONER] {
            assert!(roles.iter().all(|r| r.is_clinical()), "only clinical roles in {roles:?}");
        }
    }

    #[test]
    fn every_access_rule_answers_every_caller() {
        let patient = caller(Who::Patient(PatientId::new()));
        let (admin, prac, desk) = (staff(Role::Admin), staff(Role::Practitioner), staff(Role::FrontDesk));
        let rules = [
            Access::Public,
            Access::Authenticated,
            Access::Patient,
            Access::Staff(ANY_STAFF),
            Access::Staff(CLINICAL),
            Access::Staff(ADMIN),
            Access::Staff(PRACTITIONER),
            Access::PatientOrStaff(CLINICAL),
        ];
        use Refusal::{NotAPatient, NotStaff, Unauthenticated};
        let role = |role, needs| Err(Refusal::Role { role, needs });
        // (rule, anonymous, patient, admin, practitioner, front desk)
        let table = [
            (Ok(()), Ok(()), Ok(()), Ok(()), Ok(())),
            (Err(Unauthenticated), Ok(()), Ok(()), Ok(()), Ok(())),
            (Err(Unauthenticated), Ok(()), Err(NotAPatient), Err(NotAPatient), Err(NotAPatient)),
            (Err(Unauthenticated), Err(NotStaff), Ok(()), Ok(()), Ok(())),
            (Err(Unauthenticated), Err(NotStaff), Ok(()), Ok(()), role(Role::FrontDesk, CLINICAL)),
            (
                Err(Unauthenticated),
                Err(NotStaff),
                Ok(()),
                role(Role::Practitioner, ADMIN),
                role(Role::FrontDesk, ADMIN),
            ),
            (
                Err(Unauthenticated),
                Err(NotStaff),
                role(Role::Admin, PRACTITIONER),
                Ok(()),
                role(Role::FrontDesk, PRACTITIONER),
            ),
            (Err(Unauthenticated), Ok(()), Ok(()), Ok(()), role(Role::FrontDesk, CLINICAL)),
        ];
        for (rule, (anon, pat, adm, pr, fd)) in rules.into_iter().zip(table) {
            assert_eq!(rule.allows(None), anon, "{rule:?} anonymous");
            assert_eq!(rule.allows(Some(&patient)), pat, "{rule:?} patient");
            assert_eq!(rule.allows(Some(&admin)), adm, "{rule:?} admin");
            assert_eq!(rule.allows(Some(&prac)), pr, "{rule:?} practitioner");
            assert_eq!(rule.allows(Some(&desk)), fd, "{rule:?} front desk");
        }
    }

    #[test]
    fn refusals_keep_their_status_code_and_words() {
        let e = ApiError::from(Refusal::Unauthenticated);
        assert_eq!((e.status, e.code), (StatusCode::UNAUTHORIZED, "unauthenticated"));
        let e = ApiError::from(Refusal::Role { role: Role::FrontDesk, needs: CLINICAL });
        assert_eq!((e.status, e.code), (StatusCode::FORBIDDEN, "forbidden"));
        assert_eq!(e.detail, "the front_desk role cannot use this route; it needs admin or practitioner");
        let e = ApiError::from(Refusal::NotAPatient);
        assert_eq!(e.detail, "only a patient can use this route, for their own record");
        assert_eq!(ApiError::from(Refusal::NotStaff).detail, "this route is for clinic staff");
    }

    #[test]
    fn the_stores_clinical_refusal_is_the_same_403_as_the_routes() {
        let e = ApiError::from(needlepath_store::StoreError::Forbidden("screenings"));
        assert_eq!((e.status, e.code), (StatusCode::FORBIDDEN, "forbidden"));
        assert_eq!(e.detail, "only clinical staff (practitioners and admins) may read or change screenings");
    }

    #[test]
    fn an_admin_cannot_lock_themselves_out_but_may_change_others() {
        let me = StaffId::new();
        let a = caller(Who::Staff(me, Role::Admin));
        assert!(a.would_lock_self_out(me, Some(false), None));
        assert!(a.would_lock_self_out(me, None, Some(Role::Practitioner)));
        assert!(!a.would_lock_self_out(me, Some(true), Some(Role::Admin)));
        assert!(!a.would_lock_self_out(StaffId::new(), Some(false), Some(Role::FrontDesk)));
    }
}
