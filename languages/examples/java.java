import java.util.Scanner;

public class Main {
    public static void main(String[] args) {
        Scanner in = new Scanner(System.in);
        System.out.print("What is your name? ");
        System.out.flush();
        String name = in.hasNextLine() ? in.nextLine() : "";
        System.out.println("Hello, " + name + "!");
    }
}
