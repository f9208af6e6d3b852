#!/usr/bin/env python3
"""Copies examples/list-models.sh and examples/client.py verbatim into clients/README.md,
between the <!-- BEGIN examples/NAME --> / <!-- END examples/NAME --> markers.
Run it after editing an example; examples/test.sh fails while the README is out of date."""
import os, re

here = os.path.dirname(os.path.abspath(__file__))
readme_path = os.path.join(os.path.dirname(here), "README.md")
readme = open(readme_path).read()
for name, lang in (("list-models.sh", "sh"), ("client.py", "python")):
    body = open(os.path.join(here, name)).read()
    pattern = re.compile(r"(<!-- BEGIN examples/%s -->\n)```[a-z]*\n.*?```\n(<!-- END examples/%s -->)"
                         % (re.escape(name), re.escape(name)), re.S)
    readme, n = pattern.subn(lambda m: m.group(1) + "```" + lang + "\n" + body + "```\n" + m.group(2), readme)
    if n != 1:
        raise SystemExit("markers for examples/%s not found in %s" % (name, readme_path))
open(readme_path, "w").write(readme)
print("updated " + readme_path)
