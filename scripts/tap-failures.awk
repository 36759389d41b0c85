# Prints each failed test of a node:test TAP file with the first lines of
# its error message (so a CI log's tail says why, not only which).
/^ *not ok [0-9]+ - / {
  name = $0; sub(/^ *not ok [0-9]+ - /, "", name)
  pending = 1; next
}
pending && /^ *error: / {
  line = $0; ind = index(line, "error:") - 1; sub(/^ *error: /, "", line)
  print "FAILED: " name
  if (line != "|-") { print "    " line; pending = 0; next }
  block = 1; shown = 0; pending = 0; next
}
block {
  match($0, /^ */)
  if (RLENGTH <= ind && $0 !~ /^ *$/) { block = 0; next }
  if (shown < 8) { l = $0; sub(/^ */, "", l); if (l != "") { print "    " l; shown++ } }
  next
}
/^ *\.\.\.$/ { pending = 0 }
