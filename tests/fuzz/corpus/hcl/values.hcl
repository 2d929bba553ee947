a = <<EOF
line
  two
EOF
b = <<-X
    in
  X
c = "\u00e9\ud83d\ude00\t\"" /* c */ // d
n = [-1, 2.5e3, true, false, {x = 1}]
