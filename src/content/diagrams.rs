//! The illustrations a procedure sheet can show (`diagram = "..."` in its front matter): one per
//! family of procedures, each with its alt text and a longer description written for patients.
//!
//! The drawings themselves are hand-written SVG files named after each diagram; the web layer
//! knows where they are served. Naming a diagram that is not in [`DIAGRAMS`] is an error.

/// One illustration: its name (the file is `<name>.svg`), a short alt text and a longer
/// description of what it shows, for readers who cannot see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Diagram {
    pub name: &'static str,
    pub alt: &'static str,
    pub description: &'static str,
}

/// Every diagram the site has.
pub const DIAGRAMS: [Diagram; 8] = [
    Diagram {
        name: "catheter-route",
        alt: "Drawing of a body with a thin tube entering an artery at the top of the leg, or at the wrist, and going up to the blood vessel being treated.",
        description: "The doctor puts a thin, soft tube called a catheter into an artery. This is usually at the top of your leg (the groin), or sometimes at your wrist. The tube is guided inside the artery, using X-ray pictures, up to the blood vessel that needs treating. You cannot feel the tube moving inside you.",
    },
    Diagram {
        name: "balloon-and-stent",
        alt: "Two drawings of a narrowed artery: first a balloon blown up inside the narrow part, then a mesh tube (stent) holding it open.",
        description: "On the left, an artery is narrowed by a fatty build-up. A tiny balloon on the end of a catheter is placed in the narrow part and blown up for a short time, which stretches the artery open. On the right, a stent, a small tube made of metal mesh, has been left in the artery to hold it open. The balloon is taken out.",
    },
    Diagram {
        name: "needle-under-imaging",
        alt: "Drawing of an ultrasound probe on the skin and a needle going through the skin to a pocket of fluid, with a thin drain tube coiled inside it.",
        description: "The doctor uses a scanner, such as ultrasound or CT, to see inside you. A probe rests on your skin. Watching the screen, the doctor guides a thin needle through numbed skin to the right place, such as a pocket of fluid or an area to take a sample from. For a drain, a thin tube is passed in over the needle and its tip curls up so it stays in place.",
    },
    Diagram {
        name: "embolisation",
        alt: "Drawing of an artery branching to feed a growth, with a catheter in the branch and tiny particles blocking the blood supply to the growth.",
        description: "A catheter is guided into the small artery that feeds a growth, such as a fibroid, or a bleeding vessel. Tiny particles, coils or glue are put in through the catheter. They block the artery, so that blood no longer reaches the growth or the bleeding point. Nearby healthy tissue keeps its blood supply from other vessels.",
    },
    Diagram {
        name: "line-into-large-vein",
        alt: "Drawing of a thin tube going into a vein in the upper arm and along the vein until its tip lies in a large vein just above the heart.",
        description: "A thin, soft tube called a line is put into a vein, in the upper arm for a PICC line or near the collarbone for a central line. It runs inside the vein until its tip sits in a large vein just above the heart. The other end stays outside the skin, or under it for a port, so that medicines can be given and blood taken without new needles each time.",
    },
    Diagram {
        name: "vein-filter",
        alt: "Drawing of the large vein in the tummy with a small cone-shaped filter inside it, catching a blood clot.",
        description: "The inferior vena cava is the large vein that carries blood from the legs and tummy back to the heart. A small filter, shaped like an umbrella frame or a cone, is placed inside it through a catheter. Blood flows through the filter, but a large clot coming up from the legs is caught before it can reach the lungs.",
    },
    Diagram {
        name: "tumour-ablation",
        alt: "Drawing of a liver with a small tumour in it and a thin probe going through the skin into the tumour, with rings showing the area treated around the tip.",
        description: "Guided by a scan, the doctor passes a thin probe through the skin into the tumour. The tip of the probe heats the tumour (or freezes it, in cryoablation) to destroy it. The rings show the treated area: it covers the tumour and a small edge of healthy tissue around it, to make sure no tumour is left.",
    },
    Diagram {
        name: "nephrostomy",
        alt: "Drawing of a kidney seen from the back, with a thin tube going through the skin into the middle of the kidney and out to a drainage bag.",
        description: "When urine cannot drain from a kidney, a thin tube called a nephrostomy is put in through the skin of your back, using ultrasound and X-ray pictures. Its tip curls up inside the middle of the kidney, where urine collects. The urine drains out through the tube into a bag outside your body.",
    },
];

/// The diagram with this name, if there is one.
pub fn diagram(name: &str) -> Option<&'static Diagram> {
    DIAGRAMS.iter().find(|d| d.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_diagram_has_a_file_alt_text_and_a_longer_description() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("static/diagrams");
        for d in DIAGRAMS {
            assert!(dir.join(format!("{}.svg", d.name)).is_file(), "{}", d.name);
            assert!(
                d.alt.len() > 40 && d.description.len() > d.alt.len(),
                "{}",
                d.name
            );
            assert_eq!(diagram(d.name), Some(&d));
        }
        assert_eq!(diagram("no-such-drawing"), None);
    }
}
