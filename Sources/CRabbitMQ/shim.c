#include "CRabbitMQ.h"
