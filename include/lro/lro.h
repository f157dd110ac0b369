// Everything a typical user needs.
#pragma once

#include "lro/client.h"
#include "lro/operation.h"
#include "lro/operation_state.h"
#include "lro/options.h"
#include "lro/poller.h"
#include "lro/request.h"
#include "lro/result.h"
#include "lro/status.h"
