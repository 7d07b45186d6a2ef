//! Issue 16: concurrent writers and paged reads.
//!
//! On SQLite concurrent units share one transaction (group commit, `group.rs`); these stories
//! hold on both backends: a failed statement of one unit fails only that unit, a unit dropped
//! unfinished leaves nothing, and every list a page reads is the page asked for, in order.

use std::sync::Arc;

use chrono::{Duration, Utc};
use needlepath_store::{AlertFilter, Audit, Page, Seen, Store, StoreError};

use crate::fixtures::*;

type DynStore = Arc<dyn Store>;

/// group_commit_failed_statement_fails_only_its_unit: 64 accounts added at once, 16 of them with
/// one e-mail address: the 48 others and exactly one of the 16 are kept, the other 15 refused.
pub async fn story_concurrent_writers(store: DynStore) {
    let (_, _, admin) = setup_clinic(&store).await;
    let mut tasks = Vec::new();
    for i in 0..64 {
        let (store, admin) = (store.clone(), admin.clone());
        let email = if i % 4 == 0 { "same@clinic.test".to_string() } else { format!("staff{i}@clinic.test") };
        tasks.push(tokio::spawn(async move {
            store.add_staff(&admin, new_staff(&email, needlepath_store::Role::FrontDesk)).await
        }));
    }
    let (mut kept, mut refused) = (0, 0);
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => kept += 1,
            Err(StoreError::Conflict(_)) => refused += 1,
            Err(other) => panic!("a concurrent write failed for another unit's sake: {other:?}"),
        }
    }
    assert_eq!((kept, refused), (49, 15));
    assert_eq!(store.list_staff(&admin).await.unwrap().len(), 50, "the admin, 48 distinct and one of the same");

    // A unit dropped before it finishes leaves nothing, while units around it commit.
    let patient = add_patient(&store, &admin, "Dropped Unit").await;
    let mut unit = store.writing(&admin).await.unwrap();
    unit.add_screening(screening(patient.id, "eligible")).await.unwrap();
    drop(unit);
    let mut kept_unit = store.writing(&admin).await.unwrap();
    kept_unit.add_screening(screening(patient.id, "eligible")).await.unwrap();
    kept_unit.finish(Audit::view("screening.add", patient.id, &[Seen::Screenings])).await.unwrap();
    assert_eq!(store.list_screenings(&admin, patient.id).await.unwrap().len(), 1);
}

/// Every page is the page asked for, newest first (check-ins: the latest, in time order).
pub async fn story_pages(store: DynStore) {
    let (_, _, admin) = setup_clinic(&store).await;
    let patient = add_patient(&store, &admin, "Paged Patient").await;
    let start = ms(Utc::now()) - Duration::hours(30);
    for i in 0..25 {
        store.submit_check_in(&admin, submission(patient.id, None, start + Duration::hours(i))).await.unwrap();
    }
    let mut unit = store.reading(&admin).await.unwrap();
    let all = unit.check_ins(patient.id).await.unwrap();
    assert_eq!(all.len(), 25);
    let latest = unit.recent_check_ins(patient.id, Page::first(10)).await.unwrap();
    assert_eq!(latest, all[15..].to_vec(), "the latest ten, in time order");
    let before = unit.recent_check_ins(patient.id, Page::new(10, 10)).await.unwrap();
    assert_eq!(before, all[5..15].to_vec(), "the ten before them");
    let last = unit.recent_check_ins(patient.id, Page::new(10, 20)).await.unwrap();
    assert_eq!(last, all[..5].to_vec(), "a short page is the last");
    assert!(unit.recent_check_ins(patient.id, Page::new(10, 30)).await.unwrap().is_empty());
    assert_eq!(unit.follow_ups(false, Page::first(5)).await.unwrap().len(), 0);
    assert!(unit.alert_queue(AlertFilter::All, Page::first(5)).await.unwrap().is_empty());
    assert_eq!(unit.session_count(patient.id).await.unwrap(), 0);
    unit.finish(Audit::view("check_in.list", patient.id, &[Seen::CheckIns])).await.unwrap();
}
