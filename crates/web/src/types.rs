//! TypeScript declarations of what crosses the boundary. `records.d.ts` is generated from the
//! core's serde types (crates/typescript; a test fails when it is stale); `shapes.d.ts` holds the
//! few shapes with no Rust type of their own.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_RECORDS: &str = include_str!("records.d.ts");

#[wasm_bindgen(typescript_custom_section)]
const TS_SHAPES: &str = include_str!("shapes.d.ts");

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(typescript_type = "string")]
    pub type Str;
    #[wasm_bindgen(typescript_type = "string[]")]
    pub type StrArray;
    #[wasm_bindgen(typescript_type = "Related")]
    pub type RelatedValue;
    #[wasm_bindgen(typescript_type = "LoadOptions")]
    pub type LoadOptionsArg;
    #[wasm_bindgen(typescript_type = "ModelSource")]
    pub type ModelSourceArg;
    #[wasm_bindgen(typescript_type = "ModelBytes")]
    pub type ModelBytesArg;
    #[wasm_bindgen(typescript_type = "OpenOptions")]
    pub type OpenOptionsArg;
    #[wasm_bindgen(typescript_type = "NewAttribute")]
    pub type NewAttributeArg;
    #[wasm_bindgen(typescript_type = "ImportOptions")]
    pub type ImportOptionsArg;

    #[wasm_bindgen(typescript_type = "SelectOptions")]
    pub type SelectOptionsArg;
    #[wasm_bindgen(typescript_type = "PrepareOptions")]
    pub type PrepareOptionsArg;
    #[wasm_bindgen(typescript_type = "Promise<VectorProgress>")]
    pub type PromiseVectorProgress;
    #[wasm_bindgen(typescript_type = "ComposeOptions")]
    pub type ComposeOptionsArg;
    #[wasm_bindgen(typescript_type = "Selection[]")]
    pub type SelectionArrayArg;
    #[wasm_bindgen(typescript_type = "Promise<Selection[]>")]
    pub type PromiseSelections;
    #[wasm_bindgen(typescript_type = "TurnOptions")]
    pub type TurnOptionsArg;
    #[wasm_bindgen(typescript_type = "Promise<Turn>")]
    pub type PromiseTurn;
    #[wasm_bindgen(typescript_type = "Promise<Composed>")]
    pub type PromiseComposed;
    #[wasm_bindgen(typescript_type = "SelectionPayload | { attributes: SharedAttribute[] }")]
    pub type SelectionPayloadArg;
    #[wasm_bindgen(typescript_type = "Rendered")]
    pub type RenderedArg;

    #[wasm_bindgen(typescript_type = "Promise<Added>")]
    pub type PromiseAdded;
    #[wasm_bindgen(typescript_type = "Promise<Attribute>")]
    pub type PromiseAttribute;
    #[wasm_bindgen(typescript_type = "Promise<Attribute[]>")]
    pub type PromiseAttributes;
    #[wasm_bindgen(typescript_type = "Promise<Relative[]>")]
    pub type PromiseRelatives;
    #[wasm_bindgen(typescript_type = "Promise<boolean>")]
    pub type PromiseBool;
    #[wasm_bindgen(typescript_type = "Promise<void>")]
    pub type PromiseVoid;
    #[wasm_bindgen(typescript_type = "Promise<string>")]
    pub type PromiseString;
    #[wasm_bindgen(typescript_type = "Promise<ImportReport>")]
    pub type PromiseImportReport;
    #[wasm_bindgen(typescript_type = "Promise<Disclosure[]>")]
    pub type PromiseDisclosures;
    #[wasm_bindgen(typescript_type = "ReviewDecision")]
    pub type ReviewDecisionArg;
    #[wasm_bindgen(typescript_type = "Promise<Reviewed>")]
    pub type PromiseReviewed;
    #[wasm_bindgen(typescript_type = "Promise<ReviewJudgment[]>")]
    pub type PromiseJudgments;

    #[wasm_bindgen(typescript_type = "Sensitivity[]")]
    pub type SensitivityArrayArg;
    #[wasm_bindgen(typescript_type = "Promise<PrivacySettings>")]
    pub type PromisePrivacySettings;
    #[wasm_bindgen(typescript_type = "ChatMessage[]")]
    pub type ChatMessagesArg;
    #[wasm_bindgen(typescript_type = "Candidate[]")]
    pub type CandidatesArg;
    #[wasm_bindgen(typescript_type = "StudyLine[]")]
    pub type StudyLinesArg;
    #[wasm_bindgen(typescript_type = "Verification[]")]
    pub type VerificationsArg;
    #[wasm_bindgen(typescript_type = "VerifyContext")]
    pub type VerifyContextArg;
    #[wasm_bindgen(typescript_type = "VerifierBytes")]
    pub type VerifierBytesArg;
    #[wasm_bindgen(typescript_type = "Promise<VerifierModel>")]
    pub type PromiseVerifierModel;
    #[wasm_bindgen(typescript_type = "Promise<ChatMessage[]>")]
    pub type PromiseChatMessages;
    #[wasm_bindgen(typescript_type = "IngestOptions")]
    pub type IngestOptionsArg;
    #[wasm_bindgen(typescript_type = "Promise<IngestReport>")]
    pub type PromiseIngestReport;
}
