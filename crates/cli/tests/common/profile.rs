//! Checks of `cove profile`'s files, for the test binaries that profile
//! (`#[path = "common/profile.rs"] mod profile;`).

/// Panics unless `svg` is well-formed XML with elements in it.
pub(crate) fn assert_xml(svg: &[u8]) {
    let mut reader = quick_xml::Reader::from_reader(svg);
    let mut buf = Vec::new();
    let mut elements = 0;
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(quick_xml::events::Event::Start(_) | quick_xml::events::Event::Empty(_)) => elements += 1,
            Ok(_) => {}
            Err(e) => panic!("the SVG is not well-formed XML at {}: {e}", reader.buffer_position()),
        }
        buf.clear();
    }
    assert!(elements > 10, "an SVG with frames, not an empty document");
}

/// The gas of each folded line (`stack GAS`), summed.
pub(crate) fn folded_total(folded: &str) -> u64 {
    folded.lines().map(|l| l.rsplit_once(' ').expect("`stack gas`").1.parse::<u64>().unwrap()).sum()
}
