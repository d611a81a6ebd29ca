//! The HTML timeline drawn from real recordings: the page is well-formed
//! (it is parsed as XML here), has one lane per task plus the loop's, draws
//! the lifecycle steps and wake arrows from the events, escapes names, and
//! `CORIO_TRACE_HTML` writes it for an unchanged program.

mod util;

use std::io::{Read, Write};
use std::time::Duration;

use corio::net::{TcpListener, TcpStream};
use corio::trace::{self, Event, What};

/// A client task reads a byte that a server task writes 20 ms after the
/// connection: the article's I/O lifecycle. Returns the events and the
/// client's id.
fn one_fetch() -> (Vec<Event>, u64) {
    corio::run(|| {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let addr = listener.local_addr().expect("a bound listener's address");
        trace::start();
        let client = corio::spawn(move || {
            let mut stream = TcpStream::connect(addr).expect("connect");
            let mut byte = [0; 1];
            stream.read_exact(&mut byte).expect("read the byte");
        });
        let (mut peer, _) = listener.accept().expect("accept");
        corio::sleep(Duration::from_millis(20));
        peer.write_all(b"!").expect("write the byte");
        client.join().expect("the client finishes");
        let events = trace::finish();
        let client = events
            .iter()
            .find(|e| e.what == What::Spawned)
            .and_then(|e| e.task)
            .expect("the client's spawn was recorded");
        (events, client)
    })
}

/// Every element of `doc` whose `class` attribute holds `class`.
fn with_class<'a>(doc: &'a roxmltree::Document<'a>, class: &str) -> Vec<roxmltree::Node<'a, 'a>> {
    doc.descendants()
        .filter(|n| {
            n.attribute("class")
                .is_some_and(|c| c.split_whitespace().any(|c| c == class))
        })
        .collect()
}

fn parse(page: &str) -> roxmltree::Document<'_> {
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..roxmltree::ParsingOptions::default()
    };
    roxmltree::Document::parse_with_options(page, options)
        .unwrap_or_else(|e| panic!("the page is not well-formed: {e}\n{page}"))
}

/// The task ids of the page's lanes, in order ("loop" for the loop's).
fn lanes(doc: &roxmltree::Document<'_>) -> Vec<String> {
    with_class(doc, "lane")
        .iter()
        .map(|lane| {
            lane.attribute("data-task")
                .expect("a lane names its task")
                .to_owned()
        })
        .collect()
}

#[test]
fn a_fetch_has_a_lane_per_task_the_lifecycle_steps_and_its_wakes() {
    let (events, client) = one_fetch();
    let page = trace::html(&events);
    let doc = parse(&page);

    let mut tasks: Vec<u64> = events.iter().filter_map(|e| e.task).collect();
    tasks.sort_unstable();
    tasks.dedup();
    let mut expected = vec!["loop".to_owned()];
    expected.extend(tasks.iter().map(u64::to_string));
    assert_eq!(
        lanes(&doc),
        expected,
        "one lane per task, by id, after the loop's"
    );

    // The client is the one task whose whole I/O lifecycle was recorded,
    // so its lane carries the steps, in the library's order.
    let stages: Vec<&str> = with_class(&doc, "stage")
        .iter()
        .map(|s| s.attribute("data-stage").expect("a stage names itself"))
        .collect();
    let names: Vec<&str> = trace::lifecycle(&events, client)
        .iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(stages, names);
    for stage in [
        "Start",
        "await I/O",
        "I/O completes",
        "resume coroutine",
        "Done",
    ] {
        assert!(stages.contains(&stage), "no `{stage}` label: {stages:?}");
    }
    let client_lane = with_class(&doc, "lane")
        .into_iter()
        .find(|l| l.attribute("data-task") == Some(client.to_string().as_str()))
        .expect("the client's lane");
    let client_classes: Vec<&str> = client_lane
        .descendants()
        .filter(|n| n.has_tag_name("rect"))
        .filter_map(|n| n.attribute("class"))
        .collect();
    assert!(client_classes.contains(&"s io"), "{client_classes:?}");
    assert!(client_classes.contains(&"s running"), "{client_classes:?}");

    // One arrow per recorded wake, each with its hover text.
    let wakes = with_class(&doc, "wake");
    let woken = events.iter().filter(|e| e.what == What::Woken).count();
    assert_eq!(wakes.len(), woken);
    for wake in &wakes {
        let title = wake
            .children()
            .find(|c| c.has_tag_name("title"))
            .and_then(|t| t.text())
            .expect("a wake has a tooltip");
        assert!(title.contains(" wakes task "), "{title}");
    }
    // Every stretch has exact times to hover over.
    for stretch in with_class(&doc, "s") {
        let title = stretch.children().find(|c| c.has_tag_name("title"));
        assert!(
            title
                .and_then(|t| t.text())
                .is_some_and(|t| t.contains(" to "))
        );
    }
}

#[test]
fn concurrent_sleeps_are_parallel_lanes_that_span_the_wait() {
    trace::start();
    corio::run(|| corio::gather(vec![|| corio::sleep(Duration::from_millis(200)); 3]));
    let events = trace::finish();
    let page = trace::html(&events);
    let doc = parse(&page);
    let lanes = with_class(&doc, "lane");
    assert_eq!(lanes.len(), 1 + 4, "the loop, main and three sleepers");
    // One timer stretch per sleeper, drawn side by side: all three were
    // waiting at once (each began before any ended), whatever the timing.
    let spans: Vec<(f64, f64)> = with_class(&doc, "timer")
        .iter()
        .filter(|n| n.has_tag_name("rect"))
        .map(|r| {
            let number = |name| {
                r.attribute(name)
                    .and_then(|v| v.parse::<f64>().ok())
                    .expect(name)
            };
            (number("x"), number("x") + number("width"))
        })
        .collect();
    assert_eq!(spans.len(), 3, "one timer stretch per sleeper");
    let last_start = spans.iter().map(|s| s.0).fold(f64::MIN, f64::max);
    let first_end = spans.iter().map(|s| s.1).fold(f64::MAX, f64::min);
    assert!(last_start < first_end, "the waits overlap: {spans:?}");
}

#[test]
fn names_and_titles_are_escaped_and_shown() {
    trace::start();
    corio::run(|| corio::spawn(corio::yield_now).join().unwrap());
    let events = trace::finish();
    let page = trace::Html::new(&events)
        .title(r#"a "quoted" <title> & more"#)
        .name(1, "main <&>")
        .render();
    let doc = parse(&page);
    let labels: Vec<&str> = with_class(&doc, "label")
        .iter()
        .filter_map(|l| l.text())
        .collect();
    assert!(labels.contains(&"task 1 main <&>"), "{labels:?}");
    let title = doc
        .descendants()
        .find(|n| n.has_tag_name("title") && n.parent().is_some_and(|p| p.has_tag_name("head")))
        .and_then(|t| t.text());
    assert_eq!(title, Some(r#"a "quoted" <title> & more"#));
}

#[test]
fn tasks_older_than_the_recording_start_at_its_beginning() {
    let events = corio::run(|| {
        let sleeper = corio::spawn(|| corio::sleep(Duration::from_millis(20)));
        corio::yield_now(); // the sleeper parks before the recording
        trace::start();
        sleeper.join().unwrap();
        trace::finish()
    });
    let page = trace::html(&events);
    let doc = parse(&page);
    let first_stretches: Vec<String> = with_class(&doc, "lane")
        .iter()
        .skip(1)
        .filter_map(|lane| {
            lane.descendants()
                .find(|n| n.has_tag_name("rect") && n.attribute("class") != Some("lane-bg"))
        })
        .filter_map(|r| {
            r.children()
                .find(|c| c.has_tag_name("title"))
                .and_then(|t| t.text())
                .map(str::to_owned)
        })
        .collect();
    assert!(!first_stretches.is_empty());
    assert!(
        first_stretches
            .iter()
            .all(|t| t.contains("(before the recording began)")),
        "{first_stretches:?}"
    );
}

#[test]
fn an_empty_recording_is_still_a_page() {
    let page = trace::html(&[]);
    let doc = parse(&page);
    assert_eq!(lanes(&doc), ["loop"]);
}

#[test]
fn corio_trace_html_writes_the_page_of_an_unchanged_program() {
    let path = std::env::temp_dir().join(format!("corio-trace-{}.html", std::process::id()));
    let output = util::process::output_of(
        util::process::scenario("small_program").env("CORIO_TRACE_HTML", &path),
    );
    assert!(
        output.status.success(),
        "child failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        !String::from_utf8_lossy(&output.stderr).contains("corio trace:"),
        "the page alone does not echo events"
    );
    let page = std::fs::read_to_string(&path).expect("the page was written");
    let _ = std::fs::remove_file(&path);
    let doc = parse(&page);
    assert_eq!(lanes(&doc), ["loop", "1", "2"], "main and its sleeper");
    assert!(!with_class(&doc, "timer").is_empty());
}

#[test]
fn lanes_carry_the_names_tasks_were_spawned_with() {
    trace::start();
    corio::run(|| {
        corio::TaskBuilder::new()
            .name("brewer")
            .spawn(corio::yield_now)
            .join()
            .unwrap()
    });
    let events = trace::finish();
    let page = trace::html(&events);
    let doc = parse(&page);
    let labels: Vec<&str> = with_class(&doc, "label")
        .iter()
        .filter_map(|l| l.text())
        .collect();
    assert!(labels.contains(&"task 2 brewer"), "{labels:?}");
    // A name given to the page wins over the spawned one.
    let page = trace::Html::new(&events).name(2, "barista").render();
    let doc = parse(&page);
    let labels: Vec<&str> = with_class(&doc, "label")
        .iter()
        .filter_map(|l| l.text())
        .collect();
    assert!(labels.contains(&"task 2 barista"), "{labels:?}");
}
