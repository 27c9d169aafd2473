use std::time::Instant;
use xinfang_hub::doc;
use xinfang_node::case::{self, Registration};
fn main() {
    let unit: xinfang_hub::UnitCode = "441521".parse().unwrap();
    let content = "反映本村道路年久失修、雨季积水严重，影响村民出行和学生上学，多次向村委会反映未果，请求上级部门协调资金尽快修缮。".repeat(3);
    let n = 5000;
    let t = Instant::now();
    let mut saved = Vec::new();
    for i in 0..n {
        let no = case::case_number(&unit, 2026, i + 1);
        let reg = Registration::validate(&unit, "441521", "张三", &content).unwrap();
        let mut d = doc::new_doc(&no, doc::unit_actor(&unit)).unwrap();
        case::write_registration(&mut d, &no, &reg, "2026-01-01T00:00:00.000Z").unwrap();
        saved.push((no, d.save()));
    }
    println!(
        "create+save {:.1} us/doc, {} bytes",
        t.elapsed().as_secs_f64() * 1e6 / n as f64,
        saved[0].1.len()
    );
    let t = Instant::now();
    let mut loaded = Vec::new();
    for (no, b) in &saved {
        loaded.push(doc::decode(no, b, &doc::Limits::default()).unwrap());
    }
    println!(
        "decode {:.1} us/doc",
        t.elapsed().as_secs_f64() * 1e6 / n as f64
    );
    let t = Instant::now();
    for l in loaded.iter_mut() {
        let _ = l.doc.save();
    }
    println!(
        "save {:.1} us/doc",
        t.elapsed().as_secs_f64() * 1e6 / n as f64
    );
    let t = Instant::now();
    for (l, (no, _)) in loaded.iter_mut().zip(&saved) {
        let _ = case::read(&mut l.doc, no).unwrap();
    }
    println!(
        "read view {:.1} us/doc",
        t.elapsed().as_secs_f64() * 1e6 / n as f64
    );
}
