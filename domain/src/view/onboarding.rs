//! 实名认证 as the person signing up sees it.

use serde::{Deserialize, Serialize};

/// Where a registration stands: the next thing the person does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnboardingStep {
    /// Photograph both sides of the ID card.
    IdPhotos,
    /// Check what was read and correct it.
    Confirm,
    /// Take a selfie for the face check.
    Selfie,
    /// Verified: a customer now.
    Done,
}

/// What OCR read (or the person confirmed), as text for the form: the
/// person's own, so the ID number is whole here and nowhere else.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdCardFields {
    pub name: String,
    pub id_number: String,
    pub address: String,
    /// YYYY-MM-DD, or "" when not read.
    pub valid_from: String,
    /// YYYY-MM-DD, or "" when not read or for life.
    pub valid_to: String,
    /// 长期: the card does not expire.
    pub for_life: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistrationView {
    pub phone_masked: String,
    pub step: OnboardingStep,
    pub has_front: bool,
    pub has_back: bool,
    /// The fields to show in the form: confirmed ones, else what was read.
    pub fields: IdCardFields,
    /// The officer whose referral code the person arrived by.
    pub referred_by: Option<String>,
    /// The OCR provider is the development one: the reading is a sample.
    pub ocr_is_dev: bool,
    /// The face check is the development one.
    pub face_is_dev: bool,
}
