//! Guided capture (issue 15): on a phone, the photo forms can show the first (baseline) photo of
//! a view as a translucent guide over the live camera, so every photo of a view is taken the same
//! way and the comparison compares like with like.
//!
//! The forms stay plain multipart forms with a file input; `assets/app.js` adds the camera where
//! the browser has one and puts the frame it takes into that same input, so the server receives
//! exactly what a chosen file would give it (and sanitises it the same way). What the script needs
//! is in the page, not in the script: its words in a `<template data-guided-ui>` (the
//! `guided_camera` macro, from the locale files) and the guides as the form's `data-guide-<view>`
//! attributes, from the photos the staff page already lists. The patient's check-in answer reads
//! nothing more for it: the script finds their front baseline in their own photo list
//! (`GET /api/v1/me/photos`) only when the camera is opened.
//!
//! Nothing is loosened in the content security policy: a camera stream is given to `<video>` as
//! an object (not fetched from a URL, so `media-src` does not apply), the frame is drawn on a
//! `<canvas>` and the guides are our own images (`'self'`).

use needlepath_store::PhotoStage;

use crate::clinic::photos::{PhotoEntry, STANDARD_VIEWS};

/// Each standard view's guide, as (view code, image URL): the earliest baseline photo of that
/// view. `photos` are newest first, as the chart lists them; a view without a baseline has none.
pub fn baseline_guides(photos: &[PhotoEntry]) -> Vec<(&'static str, String)> {
    STANDARD_VIEWS
        .iter()
        .filter_map(|view| {
            photos
                .iter()
                .rev()
                .find(|p| p.photo.view == *view && p.photo.stage == PhotoStage::Baseline)
                .map(|p| (view.as_str(), p.image_url.clone()))
        })
        .collect()
}
