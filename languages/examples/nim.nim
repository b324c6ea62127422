stdout.write "What is your name? "
stdout.flushFile()
let name = stdin.readLine()
echo "Hello, ", name, "!"
