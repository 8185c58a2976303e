/* The course's small scripts (no other host is ever contacted):
   1. Printing opens every folded hint and worked solution, and folds them again afterwards.
   2. A figure shown smaller than it was drawn (a wide figure on a phone) links to itself, so a
      tap opens it at full size.
   3. On the search page, each lesson found links to the section of the lesson that holds the
      words searched for (the deepest one with all of them), and names it. */
(function () {
  "use strict";

  let opened = [];
  window.addEventListener("beforeprint", () => {
    opened = [...document.querySelectorAll("details:not([open])")];
    opened.forEach((d) => d.setAttribute("open", ""));
  });
  window.addEventListener("afterprint", () => {
    opened.forEach((d) => d.removeAttribute("open"));
    opened = [];
  });

  function linkShrunkFigures() {
    document.querySelectorAll("main div.cell_output img").forEach((img) => {
      if (img.closest("a")) return;
      // drawn size: the stored display width (retina figures), else half the pixels
      const drawn = parseFloat(img.style.width) || img.naturalWidth / 2;
      if (!drawn || img.getBoundingClientRect().width >= 0.8 * drawn) return;
      const link = document.createElement("a");
      link.href = img.getAttribute("src");
      link.className = "course-figure-link";
      link.title = "Open the figure at full size";
      img.replaceWith(link);
      link.appendChild(img);
    });
  }
  window.addEventListener("load", linkShrunkFigures);

  const words = (text) =>
    text.toLowerCase().match(/\d+(?:\.\d+)+|[\p{L}\p{N}_]+/gu) || [];

  function sectionFor(doc, query) {
    const terms = words(query).filter((t) => !(window.stopwords && window.stopwords.has(t)));
    if (!terms.length) return null;
    const phrase = terms.join(" ");
    const norm = (el) => words(el.textContent).join(" ");
    const has = (el) => {
      const text = norm(el);
      return terms.every((t) => text.includes(t));
    };
    const top = doc.querySelector("article section[id]");
    if (!top || !has(top)) return null;
    // descend: prefer a child section with the whole phrase, else the first with every word
    let best = top;
    for (;;) {
      const children = [...best.children].filter((c) => c.matches("section[id]"));
      const next =
        children.find((c) => norm(c).includes(phrase)) || children.find(has);
      if (!next) break;
      best = next;
    }
    return best === top ? null : best;
  }

  function start() {
    const results = document.getElementById("search-results");
    if (!results) return;
    const query = new URLSearchParams(window.location.search).get("q") || "";
    if (!query.trim()) return;
    const pages = new Map();
    const load = (url) => {
      if (!pages.has(url)) {
        pages.set(
          url,
          fetch(url)
            .then((r) => (r.ok ? r.text() : ""))
            .then((t) => new DOMParser().parseFromString(t, "text/html"))
            .catch(() => null),
        );
      }
      return pages.get(url);
    };
    const place = (link) => {
      if (link.dataset.courseSection) return;
      link.dataset.courseSection = "pending";
      const href = link.getAttribute("href") || "";
      if (href.includes("#")) return;
      load(href).then((doc) => {
        const section = doc && sectionFor(doc, query);
        if (!section) return;
        const heading = section.querySelector("h1, h2, h3, h4, h5, h6");
        const title = heading ? heading.textContent.replace(/#\s*$/, "").trim() : "";
        link.setAttribute("href", href + "#" + section.id);
        if (title) link.textContent = link.textContent + " › " + title;
        link.dataset.courseSection = section.id;
      });
    };
    const scan = () => results.querySelectorAll("li > a").forEach(place);
    new MutationObserver(scan).observe(results, { childList: true, subtree: true });
    scan();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
