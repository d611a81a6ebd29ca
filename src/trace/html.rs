//! A recording drawn as one self-contained HTML page: an inline SVG with a
//! lane per task and one for the event loop, each stretch of a task's life
//! coloured by what it was doing (running, ready, or parked and why), an
//! arrow for every wake from whoever woke it, and the articles' lifecycle
//! steps labelled on one task's lane. Hovering any shape shows its exact
//! times (SVG `<title>` tooltips: no script, no external assets, so the
//! page opens from disk anywhere).
//!
//! The markup is well-formed XML as well as HTML, so tests (and tools) can
//! parse it with any XML reader.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use super::{Event, ParkReason, What, lifecycle};

/// Width of one character of a lane label (12px monospace), and the
/// bounds of the label column, in SVG units (pixels at 100%).
const LABEL_CHAR_WIDTH: f64 = 7.3;
const MIN_LABEL_WIDTH: f64 = 110.0;
const MAX_LABEL_CHARS: usize = 48;
/// Width of the plotted time span.
const PLOT_WIDTH: f64 = 900.0;
/// Height of one lane, and of its bar.
const LANE_HEIGHT: f64 = 30.0;
const BAR_HEIGHT: f64 = 16.0;
/// Extra height of the lane that carries the lifecycle step markers.
const STEPS_BAND: f64 = 26.0;
/// Room for the time axis above the lanes.
const AXIS_HEIGHT: f64 = 34.0;
/// The narrowest drawn stretch, so microsecond runs in a seconds-long
/// recording stay visible.
const MIN_WIDTH: f64 = 1.5;
/// Distance between the centres of two lifecycle step markers.
const STEP_SPACING: f64 = 17.0;

/// Renders `events` (from [`super::finish`]) as a self-contained HTML page;
/// see [`Html`] to set a title, names, or which task shows the lifecycle.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// corio::trace::start();
/// corio::run(|| corio::gather(vec![|| corio::sleep(Duration::from_millis(3)); 2]));
/// let page = corio::trace::html(&corio::trace::finish());
/// assert!(page.starts_with("<!DOCTYPE html>"));
/// assert!(page.contains("timer")); // the sleeps, coloured as timer waits
/// // std::fs::write("timeline.html", page) and open it in a browser.
/// ```
pub fn html(events: &[Event]) -> String {
    Html::new(events).render()
}

/// Options for the HTML timeline; [`html`] is `Html::new(events).render()`.
///
/// # Examples
///
/// ```
/// corio::trace::start();
/// corio::run(|| corio::spawn(|| corio::yield_now()).join().unwrap());
/// let events = corio::trace::finish();
/// let page = corio::trace::Html::new(&events)
///     .title("one task that yields")
///     .name(1, "main")
///     .render();
/// assert!(page.contains("one task that yields"));
/// assert!(page.contains("main"));
/// ```
#[derive(Clone, Debug)]
pub struct Html<'a> {
    events: &'a [Event],
    title: String,
    names: BTreeMap<u64, String>,
    lifecycle_of: Option<u64>,
}

impl<'a> Html<'a> {
    /// A page for `events`, titled "corio timeline", with the lifecycle
    /// steps on the task whose whole I/O lifecycle was recorded and took
    /// longest (the first such task, on a tie).
    pub fn new(events: &'a [Event]) -> Self {
        Html {
            events,
            title: "corio timeline".to_owned(),
            names: BTreeMap::new(),
            lifecycle_of: None,
        }
    }

    /// The page's title and heading.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = title.into();
        self
    }

    /// Labels `task`'s lane with `name` (after its id), instead of the name
    /// it was spawned with ([`crate::TaskBuilder::name`]), if any.
    pub fn name(mut self, task: u64, name: impl Into<String>) -> Self {
        self.names.insert(task, name.into());
        self
    }

    /// Labels the lifecycle steps ([`super::lifecycle`]) on `task`'s lane
    /// instead of the first task with a complete one.
    pub fn lifecycle_of(mut self, task: u64) -> Self {
        self.lifecycle_of = Some(task);
        self
    }

    /// Draws the page.
    pub fn render(&self) -> String {
        let events = self.events;
        let end = events
            .last()
            .map_or(Duration::ZERO, |e| e.at)
            .max(Duration::from_micros(1));
        let lanes = task_lanes(events, end);
        let loop_lane = loop_lane(events, end);
        // By default the task whose whole lifecycle was recorded and took
        // longest from start to done: the clearest picture of the steps.
        let (steps_task, steps) = match self.lifecycle_of {
            Some(task) => (Some(task), found_steps(events, task).0),
            None => lanes
                .iter()
                .filter_map(|lane| {
                    let (steps, complete) = found_steps(events, lane.task);
                    complete.then_some((steps, lane.task))
                })
                .max_by_key(|(steps, task)| (span(steps), std::cmp::Reverse(*task)))
                .map_or((None, Vec::new()), |(steps, task)| (Some(task), steps)),
        };

        // Lane geometry, top to bottom: the loop, then tasks by id.
        let mut rows: Vec<Row<'_>> = Vec::new();
        let mut y = AXIS_HEIGHT;
        rows.push(Row {
            label: "event loop".to_owned(),
            task: None,
            lane: &loop_lane,
            top: y,
            band: 0.0,
        });
        y += LANE_HEIGHT;
        for lane in &lanes {
            let band = if Some(lane.task) == steps_task && !steps.is_empty() {
                STEPS_BAND
            } else {
                0.0
            };
            let label = match self.names.get(&lane.task).or(lane.name.as_ref()) {
                Some(name) => format!("task {} {name}", lane.task),
                None => format!("task {}", lane.task),
            };
            rows.push(Row {
                label,
                task: Some(lane.task),
                lane,
                top: y,
                band,
            });
            y += LANE_HEIGHT + band;
        }
        for row in &mut rows {
            if row.label.chars().count() > MAX_LABEL_CHARS {
                row.label = row.label.chars().take(MAX_LABEL_CHARS - 1).collect();
                row.label.push('…');
            }
        }
        let longest = rows
            .iter()
            .map(|r| r.label.chars().count())
            .max()
            .unwrap_or(0);
        let scale = Scale {
            end,
            left: (longest as f64 * LABEL_CHAR_WIDTH + 16.0).max(MIN_LABEL_WIDTH),
        };
        let height = y + 10.0;
        let width = scale.right() + 20.0;

        let mut svg = String::new();
        let _ = write!(
            svg,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.0} {height:.0}" role="img">"#
        );
        svg.push_str(concat!(
            r#"<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" "#,
            r#"markerWidth="6" markerHeight="6" orient="auto-start-reverse">"#,
            r#"<path d="M 0 0 L 10 5 L 0 10 z" class="arrowhead"/></marker></defs>"#
        ));
        draw_axis(&mut svg, &scale, height);
        for row in &rows {
            draw_row(&mut svg, &scale, row);
        }
        draw_wakes(&mut svg, &scale, events, &rows);
        if let Some(row) = rows.iter().find(|r| r.task == steps_task && r.band > 0.0) {
            draw_steps(&mut svg, &scale, row, &steps);
        }
        svg.push_str("</svg>");

        let mut page = String::new();
        let title = escape(&self.title);
        let _ = write!(
            page,
            concat!(
                "<!DOCTYPE html>\n",
                r#"<html xmlns="http://www.w3.org/1999/xhtml" lang="en"><head><meta charset="utf-8"/>"#,
                "<title>{title}</title><style>{style}</style></head><body>\n",
                "<h1>{title}</h1>\n",
                r#"<p class="summary">{tasks} tasks, {events} events over {span}. "#,
                "Hover over a stretch for its exact times.</p>\n"
            ),
            title = title,
            style = style(),
            tasks = lanes.len(),
            events = events.len(),
            span = format_time(end),
        );
        page.push_str(&legend());
        page.push('\n');
        page.push_str(&svg);
        page.push('\n');
        if let (Some(task), false) = (steps_task, steps.is_empty()) {
            let _ = write!(
                page,
                r#"<h2>The lifecycle of task {task}</h2><ol class="steps">"#
            );
            for Step { at, name, detail } in &steps {
                let _ = write!(
                    page,
                    r#"<li><span class="step">{}</span> at {}: {}</li>"#,
                    escape(name),
                    format_time(*at),
                    escape(detail)
                );
            }
            page.push_str("</ol>\n");
        }
        page.push_str("</body></html>\n");
        page
    }
}

/// Each kind of stretch: its CSS class, colour and legend text.
const KINDS: &[(&str, &str, &str)] = &[
    ("running", "#2e9d46", "running"),
    ("ready", "#d0d0d0", "ready (queued to run)"),
    ("timer", "#4a7fd6", "parked: timer"),
    ("io", "#ee8a1e", "parked: I/O"),
    ("sync", "#9a5cc6", "parked: channel, lock, event"),
    ("join", "#8a6d3b", "parked: joining a task"),
    ("future", "#17a2a8", "parked: future, other thread"),
    ("other", "#9e9e9e", "parked: other"),
    ("wait", "#c9dcf5", "the loop waits in epoll"),
];

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}\
h1{font-size:1.3em}h2{font-size:1.1em}\
.legend span{display:inline-block;margin-right:1.1em;font-size:.9em}\
.legend i{display:inline-block;width:1.1em;height:.8em;margin-right:.3em;vertical-align:middle}\
svg{font-size:12px}text{fill:#222}.label{font-family:ui-monospace,monospace}\
.tick{stroke:#ddd}.axis{fill:#666;font-size:11px}\
.lane-bg{fill:#fafafa}.lane:hover .lane-bg{fill:#f0f0f0}\
rect.s:hover{stroke:#000;stroke-width:1}.mark{stroke:#333;stroke-width:1}\
.wake{stroke:#c0392b;stroke-width:1;fill:none;opacity:.75}.arrowhead{fill:#c0392b}\
.stepdot{fill:#fff;stroke:#c0392b;stroke-width:1.5}.stepnum{font-size:10px;font-weight:bold}\
.leader{stroke:#c0392b;stroke-width:.8}.steps .step{font-weight:bold}";

/// The page's style sheet: the fixed rules, then a fill (SVG) and a
/// background (legend) per kind of stretch.
fn style() -> String {
    let mut css = STYLE.to_owned();
    for (class, colour, _) in KINDS {
        let _ = write!(
            css,
            ".{class}{{fill:{colour}}}.legend i.{class}{{background:{colour}}}"
        );
    }
    css
}

/// The legend: a swatch per kind of stretch, and the wake arrow.
fn legend() -> String {
    let mut html = String::from(r#"<p class="legend">"#);
    for (class, _, text) in KINDS {
        let _ = write!(html, r#"<span><i class="{class}"></i>{text}</span>"#);
    }
    html.push_str(
        r#"<span><i style="background:#c0392b;height:2px"></i>wake (from the waker)</span></p>"#,
    );
    html
}

/// A lifecycle step found among the events: when, and the article's words.
struct Step {
    at: Duration,
    name: &'static str,
    detail: &'static str,
}

/// The steps of `task`'s lifecycle that were recorded, in order, and
/// whether that is all of them.
fn found_steps(events: &[Event], task: u64) -> (Vec<Step>, bool) {
    let all = lifecycle(events, task);
    let complete = all.iter().all(|s| s.event.is_some());
    let found = all
        .into_iter()
        .filter_map(|s| {
            s.event.map(|i| Step {
                at: events[i].at,
                name: s.name,
                detail: s.detail,
            })
        })
        .collect();
    (found, complete)
}

/// From a task's first recorded step to its last.
fn span(steps: &[Step]) -> Duration {
    match (steps.first(), steps.last()) {
        (Some(first), Some(last)) => last.at.saturating_sub(first.at),
        _ => Duration::ZERO,
    }
}

/// Maps recording time to x.
struct Scale {
    end: Duration,
    /// Where time zero is: right of the label column.
    left: f64,
}

impl Scale {
    fn x(&self, at: Duration) -> f64 {
        self.left + at.as_secs_f64() / self.end.as_secs_f64() * PLOT_WIDTH
    }

    /// Where the recording's end is.
    fn right(&self) -> f64 {
        self.left + PLOT_WIDTH
    }
}

/// What a task was doing over a stretch, which is also its CSS class.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Doing {
    Running,
    Ready,
    Timer,
    Io,
    Sync,
    Join,
    Future,
    Other,
    /// The loop's lane: waiting in epoll.
    Wait,
}

impl Doing {
    fn class(self) -> &'static str {
        match self {
            Doing::Running => "running",
            Doing::Ready => "ready",
            Doing::Timer => "timer",
            Doing::Io => "io",
            Doing::Sync => "sync",
            Doing::Join => "join",
            Doing::Future => "future",
            Doing::Other => "other",
            Doing::Wait => "wait",
        }
    }

    fn parked(reason: &ParkReason) -> Doing {
        match reason {
            ParkReason::Io { .. } => Doing::Io,
            ParkReason::Timer { .. } => Doing::Timer,
            ParkReason::Join { .. } => Doing::Join,
            ParkReason::Yield => Doing::Ready,
            ParkReason::Sync => Doing::Sync,
            ParkReason::Future => Doing::Future,
            ParkReason::Other => Doing::Other,
        }
    }
}

struct Stretch {
    from: Duration,
    to: Duration,
    doing: Doing,
    detail: String,
}

/// A point event drawn as a tick on a lane (interest registered, I/O ready,
/// finished).
struct Mark {
    at: Duration,
    detail: String,
}

#[derive(Default)]
struct Lane {
    task: u64,
    /// The task's name, from its `Named` event.
    name: Option<String>,
    stretches: Vec<Stretch>,
    marks: Vec<Mark>,
    /// The stretch under way: what, since when, and its description.
    open: Option<(Doing, Duration, String)>,
}

impl Lane {
    fn switch(&mut self, at: Duration, next: Option<(Doing, String)>) {
        if let Some((doing, from, detail)) = self.open.take() {
            self.stretches.push(Stretch {
                from,
                to: at,
                doing,
                detail,
            });
        }
        self.open = next.map(|(doing, detail)| (doing, at, detail));
    }
}

struct Row<'a> {
    label: String,
    task: Option<u64>,
    lane: &'a Lane,
    top: f64,
    /// Extra room above the bar for lifecycle markers.
    band: f64,
}

impl Row<'_> {
    fn bar_top(&self) -> f64 {
        self.top + self.band + (LANE_HEIGHT - BAR_HEIGHT) / 2.0
    }

    fn centre(&self) -> f64 {
        self.bar_top() + BAR_HEIGHT / 2.0
    }
}

/// One lane per task seen in `events`, by id. A task's first event tells
/// what it was doing before the recording began, if it was spawned earlier.
fn task_lanes(events: &[Event], end: Duration) -> Vec<Lane> {
    let mut lanes: BTreeMap<u64, Lane> = BTreeMap::new();
    for event in events {
        let Some(task) = event.task else { continue };
        let lane = lanes.entry(task).or_insert_with(|| {
            let before = match event.what {
                What::Spawned => None,
                What::Resumed | What::Named(_) => Some(Doing::Ready),
                What::Woken => Some(Doing::Other),
                _ => Some(Doing::Running),
            };
            Lane {
                task,
                open: before.map(|d| (d, Duration::ZERO, "(before the recording began)".into())),
                ..Lane::default()
            }
        });
        match &event.what {
            What::Spawned => lane.switch(
                event.at,
                Some((Doing::Ready, "spawned, queued for its first run".into())),
            ),
            What::Resumed => lane.switch(event.at, Some((Doing::Running, "running".into()))),
            What::Parked(reason) => lane.switch(
                event.at,
                Some((Doing::parked(reason), format!("parked: {reason}"))),
            ),
            What::Woken => lane.switch(
                event.at,
                Some((Doing::Ready, "woken, queued to run".into())),
            ),
            What::Named(name) => lane.name = Some(name.clone()),
            What::Finished(outcome) => {
                lane.switch(event.at, None);
                lane.marks.push(Mark {
                    at: event.at,
                    detail: format!("finished: {outcome:?}"),
                });
            }
            other => lane.marks.push(Mark {
                at: event.at,
                detail: other.to_string(),
            }),
        }
    }
    let mut lanes: Vec<Lane> = lanes.into_values().collect();
    for lane in &mut lanes {
        lane.switch(end, None);
    }
    lanes
}

/// The loop's lane: each wait in epoll lasts until the next recorded event.
fn loop_lane(events: &[Event], end: Duration) -> Lane {
    let mut lane = Lane::default();
    for event in events {
        if matches!(lane.open, Some((Doing::Wait, ..))) {
            lane.switch(event.at, None);
        }
        if event.task.is_some() {
            continue;
        }
        match &event.what {
            What::LoopWaits { .. } => {
                lane.switch(event.at, Some((Doing::Wait, event.what.to_string())));
            }
            other => lane.marks.push(Mark {
                at: event.at,
                detail: other.to_string(),
            }),
        }
    }
    lane.switch(end, None);
    lane
}

fn draw_axis(svg: &mut String, scale: &Scale, height: f64) {
    let step = tick_step(scale.end);
    let mut at = Duration::ZERO;
    while at <= scale.end {
        let x = scale.x(at);
        let _ = write!(
            svg,
            r#"<line class="tick" x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}"/><text class="axis" x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            AXIS_HEIGHT - 8.0,
            height - 6.0,
            AXIS_HEIGHT - 14.0,
            format_tick(at, step, scale.end)
        );
        at += step;
    }
}

fn draw_row(svg: &mut String, scale: &Scale, row: &Row<'_>) {
    let task_attr = row.task.map_or_else(
        || r#" data-task="loop""#.to_owned(),
        |t| format!(r#" data-task="{t}""#),
    );
    let _ = write!(
        svg,
        r#"<g class="lane"{task_attr}><rect class="lane-bg" x="0" y="{:.1}" width="{:.1}" height="{:.1}"/><text class="label" x="6" y="{:.1}">{}</text>"#,
        row.top,
        scale.right() + 20.0,
        LANE_HEIGHT + row.band - 2.0,
        row.centre() + 4.0,
        escape(&row.label)
    );
    let bar_top = row.bar_top();
    for stretch in &row.lane.stretches {
        let x = scale.x(stretch.from);
        let width = (scale.x(stretch.to) - x).max(MIN_WIDTH);
        let _ = write!(
            svg,
            r#"<rect class="s {}" x="{x:.2}" y="{bar_top:.1}" width="{width:.2}" height="{BAR_HEIGHT:.1}"><title>{}: {} to {} ({})</title></rect>"#,
            stretch.doing.class(),
            escape(&stretch.detail),
            format_time(stretch.from),
            format_time(stretch.to),
            format_time(stretch.to.saturating_sub(stretch.from)),
        );
    }
    for mark in &row.lane.marks {
        let x = scale.x(mark.at);
        let _ = write!(
            svg,
            r#"<line class="mark" x1="{x:.2}" y1="{:.1}" x2="{x:.2}" y2="{:.1}"><title>{} at {}</title></line>"#,
            bar_top - 3.0,
            bar_top + BAR_HEIGHT + 3.0,
            escape(&mark.detail),
            format_time(mark.at)
        );
    }
    svg.push_str("</g>");
}

/// An arrow for every wake, from the lane of whoever was running then (a
/// task waking another through a channel, a join, a lock) or from the
/// loop's lane (timers and I/O readiness, found by the loop itself).
fn draw_wakes(svg: &mut String, scale: &Scale, events: &[Event], rows: &[Row<'_>]) {
    let centre = |task: Option<u64>| rows.iter().find(|r| r.task == task).map(Row::centre);
    let mut running: Option<u64> = None;
    svg.push_str(r#"<g class="wakes">"#);
    for event in events {
        match event.what {
            What::Resumed => running = event.task,
            What::Parked(_) | What::Finished(_) if running == event.task => running = None,
            What::Woken => {
                let waker = running.filter(|&r| Some(r) != event.task);
                if let (Some(from), Some(to)) = (centre(waker), centre(event.task)) {
                    let x = scale.x(event.at);
                    let who =
                        waker.map_or_else(|| "the event loop".to_owned(), |t| format!("task {t}"));
                    // Arrows end at the bar's edge, not its middle.
                    let to = if to > from {
                        to - BAR_HEIGHT / 2.0
                    } else {
                        to + BAR_HEIGHT / 2.0
                    };
                    let _ = write!(
                        svg,
                        r#"<line class="wake" x1="{x:.2}" y1="{from:.1}" x2="{x:.2}" y2="{to:.1}" marker-end="url(#arrow)"><title>{who} wakes task {} at {}</title></line>"#,
                        event.task.unwrap_or_default(),
                        format_time(event.at)
                    );
                }
            }
            _ => {}
        }
    }
    svg.push_str("</g>");
}

/// Numbered markers above the bar of the chosen task, spread out where
/// steps happen within microseconds of each other, each tied to its exact
/// time by a leader line.
fn draw_steps(svg: &mut String, scale: &Scale, row: &Row<'_>, steps: &[Step]) {
    let dot_y = row.top + row.band / 2.0 + 3.0;
    // Spread to the right of each step's time, then pull back what ran
    // past the right edge, keeping the spacing.
    let mut placed: Vec<f64> = Vec::with_capacity(steps.len());
    for step in steps {
        let x = scale.x(step.at);
        let previous = placed
            .last()
            .map_or(f64::NEG_INFINITY, |p| p + STEP_SPACING);
        placed.push(x.max(previous));
    }
    let mut limit = scale.right() + 10.0;
    for p in placed.iter_mut().rev() {
        *p = p.min(limit);
        limit = *p - STEP_SPACING;
    }
    svg.push_str(r#"<g class="lifecycle">"#);
    for (number, (Step { at, name, detail }, &placed)) in steps.iter().zip(&placed).enumerate() {
        let x = scale.x(*at);
        let _ = write!(
            svg,
            concat!(
                r#"<g class="stage" data-stage="{name}"><title>{number}. {name} at {at}: {detail}</title>"#,
                r#"<line class="leader" x1="{placed:.2}" y1="{dy:.1}" x2="{x:.2}" y2="{bar:.1}"/>"#,
                r#"<circle class="stepdot" cx="{placed:.2}" cy="{dot_y:.1}" r="7"/>"#,
                r#"<text class="stepnum" x="{placed:.2}" y="{ty:.1}" text-anchor="middle">{number}</text></g>"#
            ),
            name = escape(name),
            number = number + 1,
            at = format_time(*at),
            detail = escape(detail),
            placed = placed,
            dy = dot_y + 7.0,
            x = x,
            bar = row.bar_top(),
            dot_y = dot_y,
            ty = dot_y + 3.5,
        );
    }
    svg.push_str("</g>");
}

/// A round step (1, 2 or 5 times a power of ten) giving 5 to 10 ticks.
fn tick_step(end: Duration) -> Duration {
    let rough = end.as_secs_f64() / 8.0;
    let power = 10f64.powf(rough.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|&s| s >= rough)
        .unwrap_or(10.0 * power);
    Duration::from_nanos(((step * 1e9).round() as u64).max(1))
}

/// A tick's label, in the unit that suits the whole span, with as many
/// decimals as the step needs: "0", "0.2 s", "0.4 s"; "0", "5 ms", "10 ms".
fn format_tick(at: Duration, step: Duration, end: Duration) -> String {
    if at.is_zero() {
        return "0".to_owned();
    }
    let (unit, name) = if end >= Duration::from_secs(1) {
        (1.0, "s")
    } else if end >= Duration::from_millis(1) {
        (1e-3, "ms")
    } else {
        (1e-6, "µs")
    };
    let step = step.as_secs_f64() / unit;
    let decimals = if step >= 1.0 {
        0
    } else {
        (-step.log10()).ceil() as usize
    };
    format!("{:.*} {name}", decimals, at.as_secs_f64() / unit)
}

/// "1.500 s", "12.250 ms", "40.0 µs".
fn format_time(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if secs >= 1.0 {
        format!("{secs:.3} s")
    } else if secs >= 1e-3 {
        format!("{:.3} ms", secs * 1e3)
    } else {
        format!("{:.1} µs", secs * 1e6)
    }
}

/// Escapes text for XML content and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_cover_the_span() {
        assert_eq!(
            tick_step(Duration::from_secs(2)),
            Duration::from_millis(500)
        );
        let (step, end) = (Duration::from_millis(200), Duration::from_millis(1002));
        assert_eq!(format_tick(Duration::ZERO, step, end), "0");
        assert_eq!(format_tick(Duration::from_millis(400), step, end), "0.4 s");
        let (step, end) = (Duration::from_millis(5), Duration::from_millis(40));
        assert_eq!(format_tick(Duration::from_millis(10), step, end), "10 ms");
        assert_eq!(
            tick_step(Duration::from_millis(80)),
            Duration::from_millis(10)
        );
        assert_eq!(
            tick_step(Duration::from_micros(30)),
            Duration::from_micros(5)
        );
    }

    #[test]
    fn text_is_escaped_for_xml() {
        assert_eq!(escape(r#"<a & "b">"#), "&lt;a &amp; &quot;b&quot;&gt;");
    }
}
