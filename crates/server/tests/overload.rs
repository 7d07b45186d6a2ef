#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Issue 16: past `max_requests_in_flight` the excess is refused at once with `503 overloaded`
//! and `Retry-After`, instead of queuing without bound; a check-in and `/healthz` are never
//! refused. And every list of the API is paged with a maximum.

mod common;

use std::time::Duration;

use common::{TestApp, self_care_check_in};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// A request held in flight: its head is sent, its body never finishes.
async fn held_request(t: &TestApp) -> TcpStream {
    let mut s = TcpStream::connect(t.addr).await.unwrap();
    let head = "POST /api/v1/decisions/triage HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{";
    s.write_all(head.as_bytes()).await.unwrap();
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overload_excess_requests_get_503_with_retry_after_and_check_ins_still_pass() {
    let t = TestApp::start_with(|c| c.max_requests_in_flight = 1).await;
    let prac = t.add_staff(&t.admin.api, "practitioner").await;
    let patient = t.create_patient(&prac.api, "Olive Overload").await;
    let pid = patient["id"].as_str().unwrap().to_string();
    t.screen_eligible(&prac.api, &pid).await;
    t.record_session(&prac.api, &pid).await;
    let me = t.patient_login(&prac.api, &patient).await;

    let _held = held_request(&t).await;
    // The held request is counted once the service reads its head.
    let mut refused = None;
    for _ in 0..50 {
        let r = me.api.get("/api/v1/me").await;
        if r.status == 503 {
            refused = Some(r);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let r = refused.expect("a request past the limit is refused");
    assert_eq!(r.code(), "overloaded", "{}", r.text);
    assert_eq!(r.header("retry-after"), Some("1"));
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    // A page is refused with a page, not JSON.
    let page = me.api.get("/me").await;
    assert_eq!(page.status, 503);
    assert!(page.text.contains("<html"), "{}", page.text);
    assert_eq!(page.header("retry-after"), Some("1"), "the page says when to come back too");
    // Never refused: liveness, and a patient's check-in (a red flag must always be answered).
    assert_eq!(t.anon().get("/healthz").await.status, 200);
    let c = me.api.post("/api/v1/me/check-ins", self_care_check_in()).await;
    assert_eq!(c.status, 201, "{}", c.text);
    let red = me.api.post("/api/v1/me/check-ins", common::emergency_check_in()).await;
    assert_eq!(red.status, 201, "{}", red.text);
    drop(_held);
    // The limit frees with the request.
    let mut answered = false;
    for _ in 0..100 {
        if me.api.get("/api/v1/me").await.status == 200 {
            answered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(answered, "once the held request ends, requests are answered again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_history_list_is_paged_with_a_maximum() {
    let t = TestApp::start().await;
    let prac = t.add_staff(&t.admin.api, "practitioner").await;
    let patient = t.create_patient(&prac.api, "Paula Paged").await;
    let pid = patient["id"].as_str().unwrap().to_string();
    t.screen_eligible(&prac.api, &pid).await;
    t.record_session(&prac.api, &pid).await;
    let me = t.patient_login(&prac.api, &patient).await;
    for _ in 0..6 {
        assert_eq!(me.api.post("/api/v1/me/check-ins", self_care_check_in()).await.status, 201);
    }
    let lists = [
        (&me.api, "/api/v1/me/check-ins".to_string(), "check_ins"),
        (&me.api, "/api/v1/me/sessions".to_string(), "sessions"),
        (&me.api, "/api/v1/me/plans".to_string(), "plans"),
        (&prac.api, format!("/api/v1/patients/{pid}/check-ins"), "check_ins"),
        (&prac.api, format!("/api/v1/patients/{pid}/sessions"), "sessions"),
        (&prac.api, format!("/api/v1/patients/{pid}/plans"), "plans"),
        (&prac.api, "/api/v1/alerts?state=all".to_string(), "alerts"),
        (&prac.api, "/api/v1/follow-ups?state=all".to_string(), "follow_ups"),
    ];
    for (api, path, key) in lists {
        let sep = if path.contains('?') { '&' } else { '?' };
        let all = api.get(&path).await;
        assert_eq!(all.status, 200, "{path}: {}", all.text);
        let n = all.expect(200)[key].as_array().unwrap().len();
        let one = api.get(&format!("{path}{sep}limit=1")).await;
        assert_eq!(one.expect(200)[key].as_array().unwrap().len(), n.min(1), "{path}");
        let past = api.get(&format!("{path}{sep}limit=5&offset=1000")).await;
        assert!(past.expect(200)[key].as_array().unwrap().is_empty(), "{path}");
        for (bad, field) in [("limit=0", "limit"), ("limit=201", "limit"), ("offset=1000001", "offset")] {
            let r = api.get(&format!("{path}{sep}{bad}")).await;
            assert_eq!(r.status, 422, "{path} {bad}: {}", r.text);
            assert_eq!(r.expect(422)["field"], field, "{path} {bad}");
        }
    }
    // The latest check-ins, in time order: the last of a page of two is the newest.
    let all = me.api.get("/api/v1/me/check-ins").await.expect(200).clone();
    let two = me.api.get("/api/v1/me/check-ins?limit=2").await.expect(200).clone();
    let all = all["check_ins"].as_array().unwrap();
    assert_eq!(two["check_ins"].as_array().unwrap()[..], all[all.len() - 2..]);
}
