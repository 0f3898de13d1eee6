//! scratch
use inlet_json::{JsonReading, Leaf, Scratch, Shape};
use std::time::Instant;

#[test]
fn probe() {
    let r = JsonReading::new(Shape::Leaf(Leaf::Numeric)).unwrap();
    for d in [2465usize, 2466, 10_000, 131_071] {
        let doc = format!("1e{d}");
        let mut out = Vec::new();
        let t = Instant::now();
        let res = r.transcode(doc.as_bytes(), &mut out, &mut Scratch::default());
        let el = t.elapsed();
        println!(
            "1e{d}: {:?} {:?} out={} back={:?}",
            el,
            res,
            out.len(),
            inlet_avro::value_json(r.writer(), &out).map(|s| s.len())
        );
    }
    let doc = format!("-{}", "9".repeat(131_072));
    let mut out = Vec::new();
    let t = Instant::now();
    let res = r.transcode(doc.as_bytes(), &mut out, &mut Scratch::default());
    println!("9*131072: {:?} {:?}", t.elapsed(), res);
    let doc = format!("[{}]", vec!["1e131071"; 20].join(","));
    let r = JsonReading::new(Shape::Array(Box::new(Shape::Leaf(Leaf::Numeric)))).unwrap();
    let t = Instant::now();
    let res = r.transcode(doc.as_bytes(), &mut out, &mut Scratch::default());
    println!(
        "20 x 1e131071 ({} bytes): {:?} {:?}",
        doc.len(),
        t.elapsed(),
        res
    );
}
