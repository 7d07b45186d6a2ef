#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The conformance suite of [`Store`](needlepath_store::Store): one set of stories, each run
//! against both backends.
//!
//! Every story is an `async fn story_x(store: Arc<dyn Store>)` that drives the store through the
//! trait only (plus, where the trait has no way in, one row written by hand: a second clinic).
//! The `conformance!` macro below turns each story into two tests, `sqlite_x` and
//! `postgres_x`:
//!
//! - SQLite runs on a fresh file in a temporary directory per test.
//! - PostgreSQL runs on a fresh database per test (`np_<uuid>`), created through the admin URL
//!   in `NEEDLEPATH_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/test`) and
//!   dropped afterwards. When the server cannot be reached the PostgreSQL half is skipped with a
//!   notice, unless `CI` is set or `NEEDLEPATH_REQUIRE_POSTGRES=1`, in which case it fails.
//!
//! Run with `cargo test -p needlepath-store --test conformance`.

/// Asserts that a store call failed with the given [`StoreError`](needlepath_store::StoreError)
/// pattern, showing what came back otherwise.
macro_rules! assert_err {
    ($call:expr, $pattern:pat) => {
        match $call {
            Err($pattern) => {}
            other => panic!("{} should fail with {}, got {:?}", stringify!($call), stringify!($pattern), other),
        }
    };
}

mod access;
mod accounts;
mod clinical;
mod codes;
mod consent;
mod fixtures;
mod harness;
mod hostile;
mod outbox;
mod outcomes;
mod photos;
mod policy;
mod records;
mod staff_units;
mod system;
mod throughput;

/// Two tests per story: `$sqlite` and `$postgres`.
macro_rules! conformance {
    ($($module:ident :: $story:ident => $sqlite:ident, $postgres:ident;)*) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn $sqlite() {
            harness::run_sqlite($module::$story).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn $postgres() {
            harness::run_postgres($module::$story).await;
        }
    )*};
}

conformance! {
    throughput::story_concurrent_writers => sqlite_concurrent_writers, postgres_concurrent_writers;
    throughput::story_pages => sqlite_pages, postgres_pages;
    accounts::story_setup => sqlite_setup, postgres_setup;
    accounts::story_staff => sqlite_staff, postgres_staff;
    accounts::story_logins => sqlite_logins, postgres_logins;
    accounts::story_invites => sqlite_invites, postgres_invites;
    accounts::story_api_tokens => sqlite_api_tokens, postgres_api_tokens;
    access::story_sign_in_links => sqlite_sign_in_links, postgres_sign_in_links;
    records::story_patients => sqlite_patients, postgres_patients;
    records::story_tenancy => sqlite_tenancy, postgres_tenancy;
    clinical::story_screenings_and_plans => sqlite_screenings_and_plans, postgres_screenings_and_plans;
    clinical::story_session_safety_gates => sqlite_session_safety_gates, postgres_session_safety_gates;
    clinical::story_screening_findings_on_record => sqlite_screening_findings_on_record, postgres_screening_findings_on_record;
    clinical::story_sessions => sqlite_sessions, postgres_sessions;
    clinical::story_sessions_before_structured_numbing => sqlite_sessions_before_structured_numbing, postgres_sessions_before_structured_numbing;
    clinical::story_check_ins_and_alerts => sqlite_check_ins_and_alerts, postgres_check_ins_and_alerts;
    clinical::story_follow_ups => sqlite_follow_ups, postgres_follow_ups;
    records::story_audit => sqlite_audit, postgres_audit;
    policy::story_front_desk_cannot_list_screenings_even_if_a_route_forgets => sqlite_front_desk_cannot_list_screenings_even_if_a_route_forgets, postgres_front_desk_cannot_list_screenings_even_if_a_route_forgets;
    codes::story_an_unknown_disposition_is_corrupt_not_defaulted => sqlite_an_unknown_disposition_is_corrupt_not_defaulted, postgres_an_unknown_disposition_is_corrupt_not_defaulted;
    codes::story_unknown_codes_of_other_vocabularies_are_corrupt => sqlite_unknown_codes_of_other_vocabularies_are_corrupt, postgres_unknown_codes_of_other_vocabularies_are_corrupt;
    codes::story_follow_up_reasons_are_codes_and_old_sentences_still_read => sqlite_follow_up_reasons_are_codes_and_old_sentences_still_read, postgres_follow_up_reasons_are_codes_and_old_sentences_still_read;
    staff_units::story_staff_side_units => sqlite_staff_side_units, postgres_staff_side_units;
    system::story_timestamps => sqlite_timestamps, postgres_timestamps;
    system::story_concurrency => sqlite_concurrency, postgres_concurrency;
    system::story_integrity => sqlite_integrity, postgres_integrity;
    outbox::story_outbox_lifecycle => sqlite_outbox_lifecycle, postgres_outbox_lifecycle;
    outbox::story_outbox_lease_expiry => sqlite_outbox_lease_expiry, postgres_outbox_lease_expiry;
    outbox::story_appointments_move_their_reminders => sqlite_appointments_move_their_reminders, postgres_appointments_move_their_reminders;
    outbox::story_escalation_goes_with_its_alert => sqlite_escalation_goes_with_its_alert, postgres_escalation_goes_with_its_alert;
    outbox::story_reminder_choices_and_calendar_token => sqlite_reminder_choices_and_calendar_token, postgres_reminder_choices_and_calendar_token;
    outbox::story_concurrent_claims_never_overlap => sqlite_concurrent_claims_never_overlap, postgres_concurrent_claims_never_overlap;
    outbox::story_one_practitioner_s_appointments_never_overlap => sqlite_one_practitioner_s_appointments_never_overlap, postgres_one_practitioner_s_appointments_never_overlap;
    consent::story_consent => sqlite_consent, postgres_consent;
    photos::story_photos => sqlite_photos, postgres_photos;
    photos::story_redness_regions => sqlite_redness_regions, postgres_redness_regions;
    outcomes::story_outcomes => sqlite_outcomes, postgres_outcomes;
    hostile::story_alert_flooding => sqlite_alert_flooding, postgres_alert_flooding;
    hostile::story_login_turns_are_counted_once_across_instances => sqlite_login_turns_are_counted_once_across_instances, postgres_login_turns_are_counted_once_across_instances;
    hostile::story_a_nul_byte_in_a_login_email_or_a_search_finds_nothing => sqlite_a_nul_byte_in_a_login_email_or_a_search_finds_nothing, postgres_a_nul_byte_in_a_login_email_or_a_search_finds_nothing;
    outbox::story_concurrent_bookings_for_one_practitioner_never_overlap => sqlite_concurrent_bookings_for_one_practitioner_never_overlap, postgres_concurrent_bookings_for_one_practitioner_never_overlap;
}
