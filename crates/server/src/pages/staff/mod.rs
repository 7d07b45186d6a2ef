//! The clinic's pages: the alert queue, patients, their records and the forms that add to
//! them, and the clinic's settings.
