//! First run, staff accounts, login sessions, patient invites and API tokens.

use chrono::{Duration, Utc};
use needlepath_store::*;

use crate::fixtures::*;
use crate::harness::insert_clinic;

pub async fn story_setup(store: DynStore) {
    assert!(!store.has_clinic().await.unwrap());
    assert!(store.list_clinics().await.unwrap().is_empty());
    let now = Utc::now();
    let hour = Duration::hours(1);
    let new_clinic = || NewClinic {
        name: "Hautklinik Nord".into(),
        time_zone: needlepath_store::IanaZone::parse("Europe/Berlin").unwrap(),
        settings: ClinicSettings { currency: "CHF".into(), price_per_session: Some(180.5), ..Default::default() },
    };
    // Padded as typed: add_staff and staff_by_email trim e-mail, so setup must too.
    let admin = || new_staff(" Admin@Clinic.Test ", Role::Admin);

    // An expired link and an unknown one are refused.
    store.replace_setup_token("expired", now - hour * 2, now - hour).await.unwrap();
    assert_err!(store.complete_setup("expired", now, new_clinic(), admin()).await, StoreError::InvalidToken);
    assert_err!(store.complete_setup("unknown", now, new_clinic(), admin()).await, StoreError::InvalidToken);

    // A new link replaces the previous unused one.
    store.replace_setup_token("first", now, now + hour).await.unwrap();
    store.replace_setup_token("second", now, now + hour).await.unwrap();
    assert_err!(store.complete_setup("first", now, new_clinic(), admin()).await, StoreError::InvalidToken);
    assert!(!store.has_clinic().await.unwrap());

    let (clinic, staff) = store.complete_setup("second", now, new_clinic(), admin()).await.unwrap();
    assert_eq!((clinic.name.as_str(), clinic.time_zone.name()), ("Hautklinik Nord", "Europe/Berlin"));
    assert_eq!(clinic.settings, new_clinic().settings);
    assert_eq!((clinic.created_at, clinic.updated_at), (ms(now), ms(now)));
    assert_eq!(staff.clinic, clinic.id);
    assert_eq!((staff.role, staff.active), (Role::Admin, true));
    assert_eq!(staff.password_hash, "$argon2id$test");
    assert!(store.has_clinic().await.unwrap());
    assert_eq!(store.clinic(clinic.id).await.unwrap(), clinic);
    assert_eq!(store.list_clinics().await.unwrap(), vec![clinic.clone()]);
    assert_eq!(store.staff(clinic.id, staff.id).await.unwrap(), staff);
    assert_err!(store.clinic(ClinicId::new()).await, StoreError::NotFound(_));

    // The link works once, and no second clinic can be set up with a fresh one.
    assert_err!(store.complete_setup("second", now, new_clinic(), admin()).await, StoreError::InvalidToken);
    store.replace_setup_token("third", now, now + hour).await.unwrap();
    let other_admin = new_staff("other@clinic.test", Role::Admin);
    assert_err!(store.complete_setup("third", now, new_clinic(), other_admin).await, StoreError::InvalidToken);
    assert_eq!(store.list_clinics().await.unwrap().len(), 1);

    // The clinic's own settings change together.
    let actor = staff_actor(&staff);
    let settings = ClinicSettings { missed_check_in_grace_hours: 48, check_in_days: vec![2, 5], ..clinic.settings };
    let updated =
        store.update_clinic(&actor, Some("Hautklinik Süd".into()), None, Some(settings.clone())).await.unwrap();
    assert_eq!((updated.name.as_str(), updated.time_zone.name()), ("Hautklinik Süd", "Europe/Berlin"));
    assert_eq!((updated.settings, updated.created_at), (settings, clinic.created_at));
    assert!(updated.updated_at >= clinic.updated_at);
    let renamed =
        store.update_clinic(&actor, None, Some(IanaZone::parse("Europe/Zurich").unwrap()), None).await.unwrap();
    assert_eq!((renamed.name.as_str(), renamed.time_zone.name()), ("Hautklinik Süd", "Europe/Zurich"));
    assert_eq!(store.clinic(clinic.id).await.unwrap(), renamed);
    let audit = store.list_audit(&actor, None, 100).await.unwrap();
    for action in ["clinic.setup", "clinic.update"] {
        assert!(actions(&audit).contains(&action), "{action} missing from {:?}", actions(&audit));
    }
    assert_eq!(staff.email, "admin@clinic.test", "e-mail is kept trimmed and in lower case");
    assert_eq!(store.staff_by_email("admin@clinic.test").await.unwrap(), Some(staff), "the admin can log in");
}

pub async fn story_staff(store: DynStore) {
    let (clinic, admin, actor) = setup_clinic(&store).await;
    let nurse = store.add_staff(&actor, new_staff(" Nurse@Clinic.Test ", Role::Practitioner)).await.unwrap();
    assert_eq!((nurse.clinic, nurse.email.as_str()), (clinic.id, "nurse@clinic.test"));
    assert_eq!((nurse.role, nurse.active), (Role::Practitioner, true));

    // One account per address, whatever its case.
    for email in ["NURSE@clinic.test", "nurse@clinic.test", "ADMIN@CLINIC.TEST"] {
        assert_err!(store.add_staff(&actor, new_staff(email, Role::FrontDesk)).await, StoreError::Conflict(_));
    }
    assert_eq!(store.staff_by_email("NURSE@CLINIC.TEST").await.unwrap(), Some(nurse.clone()));
    assert_eq!(store.staff_by_email("nurse@clinic.test").await.unwrap(), Some(nurse.clone()));
    assert_eq!(store.staff_by_email("nobody@clinic.test").await.unwrap(), None);

    let update = StaffUpdate { name: Some("Nurse Joy".into()), role: Some(Role::FrontDesk), ..Default::default() };
    let joy = store.update_staff(&actor, nurse.id, update).await.unwrap();
    assert_eq!((joy.name.as_str(), joy.role, joy.active), ("Nurse Joy", Role::FrontDesk, true));
    assert_eq!((joy.email.as_str(), joy.created_at), (nurse.email.as_str(), nurse.created_at));
    assert_eq!(store.staff(clinic.id, nurse.id).await.unwrap(), joy);

    // Deactivating an account, or changing its password, ends its logins.
    let now = Utc::now();
    let login = |hash: &str, who: &Staff| Login {
        token_hash: hash.into(),
        clinic: clinic.id,
        kind: LoginKind::Staff,
        principal: who.id.0,
        csrf_token: "csrf".into(),
        created_at: now,
        expires_at: now + Duration::hours(8),
    };
    store.create_login(&login("joy-login", &joy)).await.unwrap();
    store.create_login(&login("admin-login", &admin)).await.unwrap();
    assert!(store.login("joy-login", now).await.unwrap().is_some());
    let off = store.update_staff(&actor, joy.id, StaffUpdate { active: Some(false), ..Default::default() }).await;
    assert!(!off.unwrap().active);
    assert_eq!(store.login("joy-login", now).await.unwrap(), None);
    assert!(store.login("admin-login", now).await.unwrap().is_some(), "other accounts stay logged in");
    let new_password = StaffUpdate { password_hash: Some("$argon2id$new".into()), ..Default::default() };
    assert_eq!(store.update_staff(&actor, admin.id, new_password).await.unwrap().password_hash, "$argon2id$new");
    assert_eq!(store.login("admin-login", now).await.unwrap(), None);
    assert_err!(store.update_staff(&actor, StaffId::new(), StaffUpdate::default()).await, StoreError::NotFound(_));

    // Staff lists and lookups stay within the clinic.
    let second = insert_clinic("Clinic Two").await;
    let other = store.add_staff(&system_actor(second), new_staff("two@clinic.test", Role::Admin)).await.unwrap();
    assert_eq!(other.clinic, second);
    let mine: Vec<StaffId> = store.list_staff(&actor).await.unwrap().iter().map(|s| s.id).collect();
    assert_eq!(mine, vec![admin.id, nurse.id]);
    assert_eq!(store.list_staff(&staff_actor(&other)).await.unwrap(), vec![other.clone()]);
    assert_err!(store.staff(clinic.id, other.id).await, StoreError::NotFound(_));
    let rename = StaffUpdate { name: Some("taken over".into()), ..Default::default() };
    assert_err!(store.update_staff(&actor, other.id, rename).await, StoreError::NotFound(_));
    assert_eq!(store.staff_by_email("TWO@clinic.test").await.unwrap(), Some(other));
}

pub async fn story_logins(store: DynStore) {
    let (clinic, admin, actor) = setup_clinic(&store).await;
    let patient = add_patient(&store, &actor, "Lena Login").await;
    let now = t("2031-05-01T10:00:00.123Z");
    let staff_login = Login {
        token_hash: "login-1".into(),
        clinic: clinic.id,
        kind: LoginKind::Staff,
        principal: admin.id.0,
        csrf_token: "csrf-1".into(),
        created_at: now,
        expires_at: now + Duration::hours(8),
    };
    store.create_login(&staff_login).await.unwrap();
    assert_eq!(store.login("login-1", now).await.unwrap(), Some(staff_login.clone()));
    let last_moment = staff_login.expires_at - Duration::milliseconds(1);
    assert_eq!(store.login("login-1", last_moment).await.unwrap(), Some(staff_login.clone()));
    assert_eq!(store.login("login-1", staff_login.expires_at).await.unwrap(), None, "expired at expires_at");
    assert_eq!(store.login("login-1", now + Duration::hours(9)).await.unwrap(), None);
    assert_eq!(store.login("login-2", now).await.unwrap(), None);

    let patient_login = Login {
        token_hash: "login-2".into(),
        kind: LoginKind::Patient,
        principal: patient.id.0,
        csrf_token: "csrf-2".into(),
        ..staff_login.clone()
    };
    store.create_login(&patient_login).await.unwrap();
    assert_eq!(store.login("login-2", now).await.unwrap(), Some(patient_login));

    store.delete_login("login-1").await.unwrap();
    assert_eq!(store.login("login-1", now).await.unwrap(), None);
    assert!(store.login("login-2", now).await.unwrap().is_some(), "only the deleted login ends");
    store.delete_login("login-1").await.unwrap();
    store.delete_login("never-existed").await.unwrap();
}

pub async fn story_invites(store: DynStore) {
    let (clinic, _, actor) = setup_clinic(&store).await;
    let patient = add_patient(&store, &actor, "Ida Invite").await;
    let now = Utc::now();
    store.create_invite(&actor, patient.id, "invite-1", now + days(7)).await.unwrap();
    assert_eq!(store.redeem_invite("invite-1", now).await.unwrap(), (clinic.id, patient.id));
    assert_err!(store.redeem_invite("invite-1", now).await, StoreError::InvalidToken);
    assert_err!(store.redeem_invite("unknown", now).await, StoreError::InvalidToken);

    // An expired invite is refused, and refusing it does not use it.
    store.create_invite(&actor, patient.id, "invite-2", now + Duration::hours(1)).await.unwrap();
    assert_err!(store.redeem_invite("invite-2", now + Duration::hours(2)).await, StoreError::InvalidToken);
    assert_err!(store.redeem_invite("invite-2", now + Duration::hours(1)).await, StoreError::InvalidToken);
    assert_eq!(store.redeem_invite("invite-2", now).await.unwrap(), (clinic.id, patient.id));

    // Only patients of the actor's clinic can be invited.
    assert_err!(
        store.create_invite(&actor, PatientId::new(), "invite-3", now + days(1)).await,
        StoreError::NotFound(_)
    );
    let second = system_actor(insert_clinic("Clinic Two").await);
    let foreign = add_patient(&store, &second, "Olga Other").await;
    assert_err!(store.create_invite(&actor, foreign.id, "invite-4", now + days(1)).await, StoreError::NotFound(_));
    assert_err!(store.create_invite(&second, patient.id, "invite-5", now + days(1)).await, StoreError::NotFound(_));
    assert_err!(store.redeem_invite("invite-4", now).await, StoreError::InvalidToken);

    let audit = store.list_audit(&actor, Some(patient.id), 100).await.unwrap();
    let invited = audit.iter().filter(|e| e.action == "patient.invite").count();
    let redeemed: Vec<&AuditEntry> = audit.iter().filter(|e| e.action == "patient.invite_redeemed").collect();
    assert_eq!((invited, redeemed.len()), (2, 2));
    assert!(redeemed.iter().all(|e| e.actor_kind == ActorKind::Patient && e.actor_id == Some(patient.id.0)));
}

pub async fn story_api_tokens(store: DynStore) {
    let (clinic, admin, actor) = setup_clinic(&store).await;
    let lab = store.create_api_token(&actor, "lab sync", Role::FrontDesk, "hash-1").await.unwrap();
    assert_eq!((lab.clinic, lab.name.as_str(), lab.role), (clinic.id, "lab sync", Role::FrontDesk));
    assert_eq!((lab.token_hash.as_str(), lab.created_by, lab.revoked_at), ("hash-1", Some(admin.id), None));
    assert_eq!(store.api_token("hash-1").await.unwrap(), Some(lab.clone()));
    assert_eq!(store.api_token("hash-x").await.unwrap(), None);

    let token_actor = Actor { clinic: clinic.id, who: Who::Token(lab.id, Role::Admin), ip: None };
    let crm = store.create_api_token(&token_actor, "crm", Role::Practitioner, "hash-2").await.unwrap();
    assert_eq!(crm.created_by, None, "a token is not a staff member");
    assert_eq!(store.list_api_tokens(&actor).await.unwrap(), vec![lab.clone(), crm.clone()]);

    let revoked = store.revoke_api_token(&actor, lab.id).await.unwrap();
    let revoked_at = revoked.revoked_at.expect("revoked_at is set");
    assert_eq!(revoked, ApiToken { revoked_at: Some(revoked_at), ..lab.clone() });
    assert_eq!(store.api_token("hash-1").await.unwrap(), None);
    assert_eq!(store.api_token("hash-2").await.unwrap(), Some(crm.clone()));
    let again = store.revoke_api_token(&actor, lab.id).await.unwrap();
    assert_eq!(again.revoked_at, Some(revoked_at), "revoking twice keeps the first moment");
    assert_eq!(store.list_api_tokens(&actor).await.unwrap(), vec![revoked, crm]);
    assert_err!(store.revoke_api_token(&actor, TokenId::new()).await, StoreError::NotFound(_));
}
