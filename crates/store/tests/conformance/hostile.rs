//! Hostile input at the store (issue 14): what no form or route should send, the store answers
//! without an error on both backends.

use crate::fixtures::*;

/// Regression (defect 11): a NUL byte in the login e-mail or the patient search answered 500 on
/// PostgreSQL (which refuses a NUL in a text parameter), before any account was checked. No
/// stored text holds one, so nothing matches.
pub async fn story_a_nul_byte_in_a_login_email_or_a_search_finds_nothing(store: DynStore) {
    let (_, admin, actor) = setup_clinic(&store).await;
    assert_eq!(store.staff_by_email(&format!("{}\0", admin.email)).await.unwrap(), None);
    assert_eq!(store.staff_by_email("\0").await.unwrap(), None);
    assert!(store.patients_by_email("pat\0@example.org").await.unwrap().is_empty());
    let patient = eligible_patient(&store, &actor, "Nul Search").await;
    assert!(store.list_patients(&actor, Some("Nul\0"), 10, 0).await.unwrap().is_empty());
    assert_eq!(
        store.list_patients(&actor, Some("Nul"), 10, 0).await.unwrap().iter().map(|p| p.id).collect::<Vec<_>>(),
        vec![patient.id]
    );
}
