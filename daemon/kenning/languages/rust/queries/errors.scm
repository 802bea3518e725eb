; Syntax errors. Run only when the tree has an error, so clean files never pay for it.

(ERROR) @error
(MISSING) @missing
