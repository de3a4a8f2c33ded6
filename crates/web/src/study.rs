use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::args;
use super::errors::JsResult;
use super::types::{Str, StudyLinesArg};
use discreet::study::{self, MAX_EXPORT_BYTES};

/// The lines of a study export (the study page's JSONL, or `exportJudgments`'), each checked
/// against the export's one definition: a researcher collecting participants' files finds a
/// damaged or hand-edited one before it reaches training. Throws `E_INVALID_INPUT` naming the
/// first bad line.
#[wasm_bindgen(js_name = readStudyExport)]
pub fn read_study_export(text: Str) -> JsResult<StudyLinesArg> {
    let run = || {
        let text = args::string("export", &text.into(), MAX_EXPORT_BYTES as u32)?;
        args::to_js(&study::read_export(&text)?)
    };
    Ok(run()?.unchecked_into())
}
