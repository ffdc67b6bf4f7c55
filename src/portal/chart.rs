//! Pictures drawn on the server: bar charts in SVG and QR codes of feedback links.

use qrcode::QrCode;
use qrcode::render::svg;

use crate::error::ApiError;

/// A QR code of `text` as an SVG element, dark on light, with a quiet zone.
pub fn qr_svg(text: &str) -> Result<String, ApiError> {
    let code = QrCode::new(text.as_bytes()).map_err(ApiError::internal)?;
    Ok(code
        .render::<svg::Color>()
        .min_dimensions(200, 200)
        .dark_color(svg::Color("#0b0c0c"))
        .light_color(svg::Color("#ffffff"))
        .quiet_zone(true)
        .build())
}

/// One bar of a chart: its label, its value, and the value as people read it.
#[derive(Clone, Debug)]
pub struct Bar {
    pub label: String,
    pub value: i64,
    pub shown: String,
}

const LABEL_WIDTH: i64 = 340;
const BAR_WIDTH: i64 = 300;
const ROW: i64 = 26;

/// A horizontal bar chart in SVG, its bars scaled to the largest value (or to `target`, drawn as
/// a dashed line, when that is larger). The figures are also in a table beside it, so the
/// picture is labelled as an image with its title for screen readers.
pub fn bars(title: &str, bars: &[Bar], target: Option<(i64, &str)>) -> String {
    let largest = bars
        .iter()
        .map(|b| b.value)
        .chain(target.map(|(t, _)| t))
        .max()
        .unwrap_or(0)
        .max(1);
    let height =
        ROW * i64::try_from(bars.len()).unwrap_or(0) + if target.is_some() { 30 } else { 8 };
    let width = LABEL_WIDTH + BAR_WIDTH + 200;
    let mut svg = format!(
        r#"<svg class="app-chart" role="img" aria-labelledby="{id}" viewBox="0 0 {width} {height}" width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg"><title id="{id}">{title}</title>"#,
        id = chart_id(title),
        title = escape(title),
    );
    for (i, bar) in bars.iter().enumerate() {
        let y = ROW * i64::try_from(i).unwrap_or(0) + 4;
        let length = (bar.value.max(0).saturating_mul(BAR_WIDTH)) / largest;
        svg.push_str(&format!(
            r#"<text x="{lx}" y="{ty}" text-anchor="end">{label}</text><rect class="app-chart__bar" x="{LABEL_WIDTH}" y="{y}" width="{length}" height="{h}"></rect><text x="{vx}" y="{ty}">{shown}</text>"#,
            lx = LABEL_WIDTH - 8,
            ty = y + 15,
            label = escape(&bar.label),
            h = ROW - 8,
            vx = LABEL_WIDTH + length + 6,
            shown = escape(&bar.shown),
        ));
    }
    if let Some((value, label)) = target {
        let x = LABEL_WIDTH + value.max(0).saturating_mul(BAR_WIDTH) / largest;
        let bottom = height - 22;
        svg.push_str(&format!(
            r#"<line class="app-chart__target" x1="{x}" y1="0" x2="{x}" y2="{bottom}"></line><text x="{x}" y="{ty}" text-anchor="middle">{label}</text>"#,
            ty = height - 6,
            label = escape(label),
        ));
    }
    svg.push_str("</svg>");
    svg
}

fn chart_id(title: &str) -> String {
    let slug: String = title
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    format!("chart-{slug}")
}

/// Text made safe inside SVG markup.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_are_scaled_to_the_largest_value_and_labels_escaped() {
        let svg = bars(
            "Committed",
            &[
                Bar {
                    label: "A & B".into(),
                    value: 100,
                    shown: "£100".into(),
                },
                Bar {
                    label: "<C>".into(),
                    value: 50,
                    shown: "£50".into(),
                },
            ],
            None,
        );
        assert!(
            svg.contains(&format!(r#"width="{BAR_WIDTH}" height"#)),
            "{svg}"
        );
        assert!(
            svg.contains(&format!(r#"width="{}" height"#, BAR_WIDTH / 2)),
            "{svg}"
        );
        assert!(svg.contains("A &amp; B") && svg.contains("&lt;C&gt;"));
        assert!(!svg.contains("<C>"));
    }

    #[test]
    fn a_target_larger_than_every_bar_sets_the_scale() {
        let svg = bars(
            "Reach",
            &[Bar {
                label: "Reached".into(),
                value: 25,
                shown: "25".into(),
            }],
            Some((100, "Target 100")),
        );
        assert!(
            svg.contains(&format!(r#"width="{}" height"#, BAR_WIDTH / 4)),
            "{svg}"
        );
        assert!(svg.contains(&format!(r#"x1="{}""#, LABEL_WIDTH + BAR_WIDTH)));
    }

    #[test]
    fn a_qr_code_is_an_svg() {
        let svg = qr_svg("https://fund.example.org/f/abc").expect("a short text fits");
        assert!(svg.contains("<svg") && svg.contains("</svg>"));
    }
}
