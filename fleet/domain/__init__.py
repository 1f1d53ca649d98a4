"""The restaurant's words as types: dishes and orders, robots, trips, and the
events that record what happened (past-tense facts)."""

from fleet.domain.actionprofile import ActionProfile
from fleet.domain.events import Event
from fleet.domain.orders import Dish, DishState, Order, Priority
from fleet.domain.robots import RobotMode, RobotModel
from fleet.domain.trips import Stop, StopKind, Trip, TripKind, TripState

__all__ = ["ActionProfile", "Dish", "DishState", "Event", "Order", "Priority", "RobotMode",
           "RobotModel", "Stop", "StopKind", "Trip", "TripKind", "TripState"]
