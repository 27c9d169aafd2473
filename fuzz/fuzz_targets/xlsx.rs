//! A schedule table uploaded as XLSX: the importer (size limit, ZIP-bomb and
//! shared-string checks, the sheet, every cell's rule). No panic may escape it.
//!
//! The importer runs the third-party workbook reader under `catch_unwind` and
//! answers a panic there with an error for the upload (the reader overflows on
//! some crafted sheets: `seeds/xlsx/calamine-multiply-overflow.xlsx`). libFuzzer's
//! panic hook would abort on that caught panic, so the target puts the default
//! hook back; a panic that escapes the importer still aborts the run.
#![no_main]

use std::sync::{Once, OnceLock};

use libfuzzer_sys::fuzz_target;
use xinfang_node::rules::taxonomy::Taxonomy;
use xinfang_node::schedule::table::{self, TableFormat};

fuzz_target!(|data: &[u8]| {
    static DEFAULT_HOOK: Once = Once::new();
    DEFAULT_HOOK.call_once(|| drop(std::panic::take_hook()));
    static TAXONOMY: OnceLock<Taxonomy> = OnceLock::new();
    let taxonomy = TAXONOMY.get_or_init(|| Taxonomy::official().expect("taxonomy"));
    let month = "2016-04".parse().expect("month");
    let _ = table::import(data, TableFormat::Xlsx, month, taxonomy);
});
