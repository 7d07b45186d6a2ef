// The clinical-role rule as the store enforces it (defence in depth behind the server's route
// table). Part of `queries.rs`.

/// Clinical records are for clinical staff ([`Role::is_clinical`]): a staff member or API token
/// of another role is refused with [`StoreError::Forbidden`] even if a route forgets its access
/// rule. Patients (confined to their own record by `own`) and the system are not staff roles and
/// pass.
///
/// Guarded, in the store's methods and in the units of work alike: screenings (list, add,
/// review), a patient's findings, allergies and medication (given on a new record or changed:
/// issue 14, defect 10), plans (add), sessions (record, blockers, overrides), check-ins (list) and alerts
/// (list, acknowledge, resolve). Deliberately not guarded:
/// - listing sessions and plans: booking an appointment is the front desk's work, and it reads
///   them for the session number and the plan's window for the next session;
/// - submitting a check-in, and the scheduled check-ins its submission reads to find the one it
///   answers: a report that may carry a red flag is never refused for the role of whoever types
///   it in (no route lets the front desk do it today).
fn clinical_side(actor: &Actor, what: &'static str) -> Result<()> {
    match actor.who {
        Who::Staff(_, role) | Who::Token(_, role) if !role.is_clinical() => Err(StoreError::Forbidden(what)),
        _ => Ok(()),
    }
}
