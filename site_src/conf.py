"""Sphinx configuration of the course website. ``scripts/build_site.py`` copies this folder to build/site_src, adds
the home page, the lesson pages (executed notebooks) and MathJax, and runs sphinx-build into site/."""
project = "Layer by Layer"
author = "the Layer by Layer authors"
copyright = "the Layer by Layer authors; code MIT, datasets under their own licences"
extensions = ["myst_nb"]

nb_execution_mode = "off"              # the notebooks arrive executed (full mode): nothing runs twice
nb_render_markdown_format = "myst"     # display(Markdown(...)) tables and math render as in JupyterLab
myst_enable_extensions = ["dollarmath", "amsmath", "attrs_block"]
suppress_warnings = ["mystnb.unknown_mime_type"]
exclude_patterns = ["download/**", "_build", "**.ipynb_checkpoints"]

mathjax_path = "mathjax/tex-mml-chtml.js"   # served from the site (npm mathjax, copied by build_site.py): no CDN

html_theme = "sphinx_book_theme"
html_title = "Layer by Layer"
html_static_path = ["_static"]
html_favicon = "_static/favicon.svg"     # (without one, the browser asks for /favicon.ico: a 404 in the console)
html_context = {"default_mode": "light"}  # (without it, the theme logs "invalid theme mode" as a console error)
html_css_files = ["site.css"]
html_show_sourcelink = False
html_copy_source = False             # the pages link the clean notebook; no second copy of each executed one
html_theme_options = {
    "home_page_in_toc": True,
    "show_toc_level": 2,
    "use_download_button": False,       # each lesson links its clean notebook under its title instead
    "use_fullscreen_button": False,
}
