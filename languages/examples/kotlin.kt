fun main() {
    print("What is your name? ")
    val name = readLine() ?: ""
    println("Hello, $name!")
}
