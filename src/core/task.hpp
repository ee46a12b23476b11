#pragma once

#include <boost/asio/awaitable.hpp>

namespace mc {

// Every asynchronous operation in the project is a C++20 coroutine on an Asio executor. Domain headers
// name only this alias, so they never pull in the networking headers.
template <class T = void>
using Task = boost::asio::awaitable<T>;

}  // namespace mc
