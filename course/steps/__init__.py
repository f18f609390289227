"""The kinds of step: one module each (its content, form, answers and how they read), listed in
`registry.KINDS`; the page of each is templates/steps/<type>.html."""
