//! The patient's own pages, after their invite link: Today, the check-in, the plan, the
//! history with its symptom chart. The patient always comes from the login, never the URL.
