//! A schedule table uploaded as CSV: the importer (size and row limits, header
//! search, every cell's rule). Nothing may panic.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use xinfang_node::rules::taxonomy::Taxonomy;
use xinfang_node::schedule::table::{self, TableFormat};

fuzz_target!(|data: &[u8]| {
    static TAXONOMY: OnceLock<Taxonomy> = OnceLock::new();
    let taxonomy = TAXONOMY.get_or_init(|| Taxonomy::official().expect("taxonomy"));
    let month = "2016-04".parse().expect("month");
    let _ = table::import(data, TableFormat::Csv, month, taxonomy);
});
