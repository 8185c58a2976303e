"""Sphinx configuration of the web edition (tools/build_site.py copies this folder and runs Sphinx).

Nothing here may make a page load anything from another host: MathJax is served from
_static/mathjax (copied from the pinned django-static-mathjax wheel), myst-nb's widget scripts
(require.js and the widget manager, from CDNs by default) are switched off, and the theme's
fonts and icons are its own local copies. tests/test_site.py checks it in Chromium.
"""

import sys
from pathlib import Path

project = "What does a conv layer learn?"
author = "the course authors"
copyright = "the course authors; text and code MIT, MNIST subset CC BY-SA 3.0"

sys.path.insert(0, str(Path(__file__).parent / "_ext"))

# course_search (_ext/): the English search index, with decimals such as 0.8133 as words.
extensions = ["myst_nb", "sphinx_copybutton", "course_search", "course_fold"]

exclude_patterns = [
    "_extra",
    "_static",
    "_templates",
    "_doctrees",
    "_ext",
    "**.ipynb_checkpoints",
]
templates_path = ["_templates"]
html_static_path = ["_static"]
html_extra_path = [
    "_extra"
]  # notebooks/NN_*.ipynb: each lesson's download, byte for byte
html_css_files = ["course.css"]
# Print opens folded hints and solutions; search results link to the section that matched.
html_js_files = ["course.js"]
html_title = project
html_logo = "_static/favicon.svg"
html_favicon = (
    "_static/favicon.svg"  # also spares the browser's request for /favicon.ico
)
html_copy_source = False  # the download link serves the original notebook instead
html_show_sourcelink = False
html_last_updated_fmt = None

# Notebooks: render what is stored, never execute.
nb_execution_mode = "off"
nb_output_stderr = "remove"  # TensorFlow's start-up lines never reach the page
nb_merge_streams = True
nb_render_markdown_format = (
    "myst"  # Markdown outputs (generated tables) render as tables
)
nb_ipywidgets_js = {}  # no require.js / widget manager from a CDN
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3
suppress_warnings = ["myst.header"]  # lessons use ### under ## freely

# Math: MathJax 3.2.2 served from _static/mathjax (TeX to SVG; the glyphs are inside the script).
# MyST marks dollar-math pages tex2jax_ignore so that no stray $ is read as math, and lists its
# own .math elements as the ones to process.
mathjax_path = "mathjax/es5/tex-svg.js"
mathjax3_config = {
    "svg": {"fontCache": "global"},
    "options": {"processHtmlClass": "tex2jax_process|mathjax_process|math|output_area"},
}
myst_update_mathjax = False

# Copy buttons: copy the code, never the prompts.
copybutton_exclude = ".linenos, .gp, .go"

html_theme = "sphinx_book_theme"
html_theme_options = {
    "logo": {"text": project},
    "home_page_in_toc": True,
    "show_navbar_depth": 1,
    "show_toc_level": 2,
    "use_download_button": False,  # our "Run this lesson" box links the .ipynb
    "use_fullscreen_button": True,
    "use_repository_button": False,
    "use_issues_button": False,
    "use_source_button": False,
    "launch_buttons": {},
    "search_bar_text": "Search the lessons...",
    "navigation_with_keys": True,
    "show_prev_next": True,
    "footer_content_items": ["copyright.html", "extra-footer.html"],
    "extra_footer": "Built from the stored notebooks; every output and figure comes from a real run "
    "at quick scale, seed 0.",
}
html_context = {
    "default_mode": "light"
}  # an empty mode makes the theme log a console error
html_sidebars = {
    "**": ["navbar-logo.html", "search-button-field.html", "sbt-sidebar-nav.html"]
}
