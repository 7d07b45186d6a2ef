#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The public pages through a real server: "Am I a candidate?" answered by the engine with
//! reasons and sources, input errors shown on the form, the aftercare guide and the cost
//! estimate.

mod common;

use common::TestApp;
use common::post_form;
use reqwest::Method;

#[tokio::test]
async fn the_candidate_questions_are_in_plain_words() {
    let t = TestApp::start().await;
    let r = t.anon().get("/candidate").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.text.contains("Acne scars"), "concerns in words");
    assert!(r.text.contains("Currently pregnant"));
    assert!(r.text.contains("Date of the burn or tanning"), "timed findings ask their date");
    assert!(r.text.contains("<legend>"));
    assert!(!r.text.contains(">acne_scars<"), "no codes shown");
}

#[tokio::test]
async fn an_eligible_candidate_is_told_so_with_next_steps() {
    let t = TestApp::start().await;
    let r =
        post_form(&t.anon(), "/candidate", "concern=acne_scars&scar_type=atrophic&age_years=34&fitzpatrick=2").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.text.contains("You can be treated"), "{}", r.text);
    assert!(r.text.contains("Book a consultation"));
    assert!(r.text.contains(r#"value="acne_scars" checked"#), "the answers are kept");
}

#[tokio::test]
async fn a_pregnant_candidate_gets_reasons_with_sources() {
    let t = TestApp::start().await;
    let r = post_form(&t.anon(), "/candidate", "concern=acne_scars&age_years=30&finding=pregnant").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.text.contains("Not yet: treatment should wait") || r.text.contains("not suitable"), "{}", r.text);
    assert!(r.text.contains("Why"));
    assert!(r.text.contains(r#"href="/sources#"#), "reasons cite their sources");
    assert!(r.text.contains(r#"name="finding" value="pregnant" checked"#));
}

#[tokio::test]
async fn a_bad_age_is_a_form_error_naming_the_field() {
    let t = TestApp::start().await;
    for body in ["concern=acne_scars&age_years=two+hundred", "concern=acne_scars&age_years=200"] {
        let r = post_form(&t.anon(), "/candidate", body).await;
        assert_eq!(r.status, 422, "{body}: {}", r.text);
        assert!(r.text.contains("Your age in years"), "{}", r.text);
        assert!(r.text.contains(r#"id="age_years" name="age_years""#));
        assert!(r.text.contains(r#"aria-invalid="true""#));
        assert!(r.text.contains(r#"value="acne_scars" checked"#), "values are kept");
    }
    let r = post_form(&t.anon(), "/candidate", "age_years=30").await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert!(r.text.contains("What would you like to treat?"));
    let r = post_form(&t.anon(), "/candidate", "concern=acne_scars&finding=sunburn&last.sunburn=yesterday").await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert!(r.text.contains("Date of the burn or tanning"), "{}", r.text);
}

#[tokio::test]
async fn a_signed_in_caller_needs_the_csrf_token_on_the_candidate_form() {
    let t = TestApp::start().await;
    let admin = &t.admin.api;
    let rb = t
        .anon()
        .builder(Method::POST, "/candidate")
        .header("cookie", admin.cookie.clone().unwrap())
        .header("content-type", "application/x-www-form-urlencoded")
        .body("concern=acne_scars");
    let r = common::read(rb).await;
    assert_eq!(r.status, 403, "{}", r.text);
    let r = post_form(admin, "/candidate", "concern=acne_scars").await;
    assert_eq!(r.status, 200, "{}", r.text);
}

#[tokio::test]
async fn the_aftercare_guide_is_relative_to_the_session_and_cites_sources() {
    let t = TestApp::start().await;
    let r = t.anon().get("/aftercare").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.text.contains("Straight after the session"));
    assert!(r.text.contains("From 24 hours after") || r.text.contains("From day"), "{}", r.text);
    assert!(r.text.contains(r#"href="/sources#"#));
    assert!(r.text.contains("print this page"));
    assert!(r.text.contains(r#"<th scope="col">"#), "the Can I table has headers");
    assert!(r.text.contains("Wear makeup"));
}

#[tokio::test]
async fn the_cost_estimate_gives_sessions_and_a_cost_range() {
    let t = TestApp::start().await;
    let r = t.anon().get("/cost").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(!r.text.contains("Estimated cost"));
    let r = t.anon().get("/cost?concern=acne_scars&scar_grade=3&price_per_session=200&currency=eur").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.text.contains("Estimated cost") && r.text.contains("EUR "), "{}", r.text);
    assert!(r.text.contains("sessions"));
    assert!(r.text.contains(r#"href="/sources#"#));
    let r = t.anon().get("/cost?concern=acne_scars&sessions=99").await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert!(r.text.contains("Number of sessions"), "{}", r.text);
    // Signed-in staff get their clinic's price prefilled.
    let r = t.admin.api.patch("/api/v1/clinic", serde_json::json!({ "settings": { "price_per_session": 180 } })).await;
    assert!(r.status < 300, "{}", r.text);
    let r = t.admin.api.get("/cost").await;
    assert!(r.text.contains(r#"value="180""#), "{}", r.text);
}

/// Issue 11, defect 5: a sunburn date typed without ticking "sunburn" was dropped and the
/// answer became "You can be treated". Now the form is refused with the date field named.
#[tokio::test]
async fn a_sunburn_date_without_its_box_is_not_ignored() {
    let t = TestApp::start().await;
    let r = post_form(&t.anon(), "/candidate", "concern=acne_scars&age_years=30&last.sunburn=2026-11-30").await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert!(!r.text.contains("You can be treated"), "{}", r.text);
    assert!(r.text.contains("did not tick it"), "{}", r.text);
    assert!(r.text.contains(r#"name="last.sunburn" type="date" value="2026-11-30" aria-invalid="true""#), "{}", r.text);
}

/// Issue 12 item 5: a 15-year-old was `eligible` without review. The candidate page now says a
/// clinician looks first and a parent or guardian consents, as the clinic's own rule.
#[tokio::test]
async fn a_minor_candidate_is_told_about_review_and_guardian_consent() {
    let t = TestApp::start().await;
    let r =
        post_form(&t.anon(), "/candidate", "concern=acne_scars&scar_type=atrophic&age_years=15&fitzpatrick=2").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.text.contains("You are under 18"), "{}", r.text);
    assert!(r.text.contains("parent or guardian"), "{}", r.text);
    assert!(r.text.contains("own rule rather than a research finding"), "{}", r.text);
    assert!(r.text.contains("with precautions"), "not plain eligible: {}", r.text);
}
