#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Issue 14, the insider defects: a member of staff acting as a patient (defect 5) and the front
//! desk reading or changing medical history (defect 10). Each test is named after its defect.

mod common;

use common::TestApp;
use needlepath_store::{Actor, ClinicId, PatientId, PatientUpdate, Role, StaffId, StoreError, Who};
use serde_json::{Value, json};

fn uuid(v: &Value) -> uuid::Uuid {
    uuid::Uuid::parse_str(v.as_str().unwrap()).unwrap()
}

/// Regression (defect 5): a front-desk user (or front-desk API token) created an invite, was
/// shown its secret, redeemed it and then read and did as the patient what the role is denied.
/// Now the invite goes to the patient's own address and no answer, page or message list shows
/// it to staff; who sent it is kept and named in the audit when the patient opens it.
#[tokio::test(flavor = "multi_thread")]
async fn any_staff_role_can_become_any_patient() {
    let t = TestApp::start().await;
    let desk = t.add_staff(&t.admin.api, "front_desk").await;
    let (desk_token, token_record) = t.create_token(&t.admin.api, "front_desk").await;
    let p = t.create_patient(&t.admin.api, "Ivo Insider").await;
    let id = p["id"].as_str().unwrap();

    for (who, api) in [("desk login", &desk.api), ("desk token", &desk_token)] {
        let r = api.post_empty(&format!("/api/v1/patients/{id}/invites")).await;
        assert_eq!(r.status, 202, "{who}: {}", r.text);
        assert_eq!(r.json["sent_to"], p["email"], "{who}");
        assert!(!r.text.contains("token"), "{who}: the answer holds no link: {}", r.text);
        // Nothing staff can read holds it either: the message list and the patient's page.
        let messages = api.get(&format!("/api/v1/patients/{id}/messages")).await;
        assert_eq!(messages.status, 200, "{who}");
        assert!(!messages.text.contains("token="), "{who}: {}", messages.text);
    }
    let page = desk.api.get(&format!("/staff/patients/{id}")).await;
    assert!(!page.text.contains("token="), "the staff page shows no invite link");
    // The old way of showing a link once to staff is gone.
    for gone in [format!("/api/v1/patients/{id}/invites/email")] {
        let r = desk.api.post_empty(&gone).await;
        assert!(matches!(r.status, 404 | 405), "{gone}: {}", r.status);
    }

    // The patient opens the latest link, sent by the token, from their e-mail; then one sent
    // by the desk member. The audit names the sender of each.
    let by_token = t.latest_invite_token(id).await;
    t.anon().post("/api/v1/auth/invite", json!({ "token": by_token })).await.expect(200);
    desk.api.post_empty(&format!("/api/v1/patients/{id}/invites")).await.expect(202);
    let by_desk = t.latest_invite_token(id).await;
    t.anon().post("/api/v1/auth/invite", json!({ "token": by_desk })).await.expect(200);
    let audit = t.admin.api.get(&format!("/api/v1/patients/{id}/audit")).await.expect(200).clone();
    let redeemed: Vec<&Value> =
        audit["entries"].as_array().unwrap().iter().filter(|e| e["action"] == "patient.invite_redeemed").collect();
    assert_eq!(redeemed.len(), 2, "{audit}");
    assert_eq!(uuid(&redeemed[0]["target"]), uuid(&json!(desk.id)), "newest first: the desk's invite");
    assert_eq!(uuid(&redeemed[1]["target"]), uuid(&token_record["id"]), "then the token's");
    let sent: Vec<&Value> =
        audit["entries"].as_array().unwrap().iter().filter(|e| e["action"] == "patient.invite").collect();
    assert!(sent.iter().any(|e| e["actor_id"] == desk.id.as_str()), "{audit}");
    // The admin's view of the record says who sent the invite a login was opened with.
    let record = t.admin.api.get(&format!("/staff/patients/{id}")).await;
    assert!(record.text.contains("invite sent by Staff "), "{}", record.text);
}

/// Regression (defect 10): the front desk read findings, allergies and medication, and could
/// change findings that change triage (removing `anticoagulant` turned bruising from
/// `contact_clinic` into `self_care`). Clinical data is now clinical-role only: withheld from
/// what the front desk reads, refused when it writes, in the routes and in the store.
#[tokio::test(flavor = "multi_thread")]
async fn front_desk_changes_medical_history() {
    let t = TestApp::start().await;
    let prac = t.add_staff(&t.admin.api, "practitioner").await;
    let desk = t.add_staff(&t.admin.api, "front_desk").await;
    let (desk_token, _) = t.create_token(&t.admin.api, "front_desk").await;
    let p = t.create_patient(&desk.api, "Mara Medical").await;
    let id = p["id"].as_str().unwrap();
    let clinical = json!({ "findings": ["anticoagulant"], "allergies": ["latex"], "medication": ["warfarin 5 mg"] });
    prac.api.patch(&format!("/api/v1/patients/{id}"), clinical).await.expect(200);

    for (who, api) in [("desk login", &desk.api), ("desk token", &desk_token)] {
        // Reading: the record and the list hold contact details, and name what is withheld.
        let r = api.get(&format!("/api/v1/patients/{id}")).await;
        let record = r.expect(200).clone();
        for field in ["findings", "allergies", "medication"] {
            assert!(record.get(field).is_none(), "{who}: {field} shown: {record}");
        }
        assert_eq!(record["withheld"], json!(["findings", "allergies", "medication"]), "{who}");
        for secret in ["anticoagulant", "latex", "warfarin"] {
            assert!(!r.text.contains(secret), "{who}: {secret} in {}", r.text);
        }
        let list = api.get("/api/v1/patients?search=Mara").await;
        assert_eq!(list.status, 200, "{who}");
        assert!(!list.text.contains("anticoagulant") && !list.text.contains("warfarin"), "{who}: {}", list.text);
        // Writing: refused with the field named, and the record keeps what it had.
        for change in [json!({ "findings": [] }), json!({ "allergies": [] }), json!({ "medication": [] })] {
            let r = api.patch(&format!("/api/v1/patients/{id}"), change.clone()).await;
            assert_eq!((r.status, r.code()), (403, "clinical_data_not_allowed"), "{who} {change}: {}", r.text);
        }
        let r = api.post("/api/v1/patients", json!({ "name": "New One", "findings": ["anticoagulant"] })).await;
        assert_eq!((r.status, r.code()), (403, "clinical_data_not_allowed"), "{who}: {}", r.text);
        // Contact details are still the front desk's.
        api.patch(&format!("/api/v1/patients/{id}"), json!({ "phone": "+49 30 123" })).await.expect(200);
    }
    let kept = prac.api.get(&format!("/api/v1/patients/{id}")).await.expect(200).clone();
    assert_eq!(kept["findings"], json!([{ "code": "anticoagulant" }]), "{kept}");
    assert_eq!(kept["allergies"], json!(["latex"]));
    assert!(kept.get("withheld").is_none(), "nothing is withheld from a practitioner: {kept}");

    // The store refuses on its own, whatever route might forget the rule.
    let desk_actor = Actor {
        clinic: ClinicId(uuid(&json!(t.clinic_id))),
        who: Who::Staff(StaffId(uuid(&json!(desk.id))), Role::FrontDesk),
        ip: None,
    };
    let removal = PatientUpdate { findings: Some(Vec::new()), ..PatientUpdate::default() };
    let refused = t.store.update_patient(&desk_actor, PatientId(uuid(&p["id"])), removal).await;
    assert!(matches!(refused, Err(StoreError::Forbidden(_))), "{refused:?}");
    let kept = prac.api.get(&format!("/api/v1/patients/{id}")).await.expect(200).clone();
    assert_eq!(kept["findings"], json!([{ "code": "anticoagulant" }]), "{kept}");
}
