//! Documents transcoded to the Avro of their shape, read back by inlet-avro.

use inlet_json::{JsonReading, Scratch, Shape};

fn reading(sample: &[&str]) -> JsonReading {
    let (shape, refused) = Shape::infer(sample.iter().map(|d| d.as_bytes()));
    assert_eq!(refused, 0);
    JsonReading::new(shape).unwrap()
}

/// The document as inlet-avro reads its transcoded bytes back (JSON text).
fn read_back(reading: &JsonReading, doc: &str) -> Result<String, String> {
    let mut out = Vec::new();
    reading
        .transcode(doc.as_bytes(), &mut out, &mut Scratch::default())
        .map_err(|e| e.to_string())?;
    inlet_avro::value_json(reading.writer(), &out)
}

#[test]
fn keys_in_any_order_missing_or_unknown_read_as_the_schema_orders_them() {
    let r = reading(&[r#"{"id":1,"name":"a","geo":{"lat":1.5,"lon":2.5},"tags":["x"]}"#]);
    assert_eq!(
        read_back(&r, r#"{"tags":["y",null],"geo":{"lon":4,"lat":-1e2},"extra":{"a":[1,2]},"name":"b\n\u00e9","id":7}"#).unwrap(),
        r#"{"id":7,"name":"b\né","geo":{"lat":-100,"lon":4},"tags":["y",null]}"#
    );
    assert_eq!(
        read_back(&r, r#"{"id":2}"#).unwrap(),
        r#"{"id":2,"name":null,"geo":null,"tags":null}"#
    );
    assert_eq!(
        read_back(&r, r#"{"id":1,"id":3,"geo":null}"#).unwrap(),
        r#"{"id":3,"name":null,"geo":null,"tags":null}"#,
        "a key met twice is the later"
    );
}
