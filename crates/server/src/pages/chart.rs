//! The symptom chart of a patient's check-ins, drawn on the server as inline SVG (no script,
//! no library), with a table of the same data for screen readers and print.
