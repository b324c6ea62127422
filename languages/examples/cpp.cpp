#include <iostream>
#include <string>

int main()
{
	std::string name;
	std::cout << "What is your name? " << std::flush;
	std::getline(std::cin, name);
	std::cout << "Hello, " << name << "!" << std::endl;
}
